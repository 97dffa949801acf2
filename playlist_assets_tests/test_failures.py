"""Failures that cost nothing else: Liked Songs that cannot be read, a long rate limit, expected errors in one line,
and the command line's progress while it runs. Real Dagster runs on an ephemeral instance."""

import contextlib
import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets import cli, rate_limit
from playlist_assets.assets import ALL_ASSETS
from playlist_assets.jobs import refresh_job
from playlist_assets.render import playlist_slug
from playlist_assets.render.markdown import TABLE_HEADER
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources.demo_library import FOUR_GENRES
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse
from playlist_assets_tests.test_backfill import SmallLibrary, definitions
from playlist_assets_tests.test_retries import add_playlist, graph_resources

RATE_LIMITED = StubResponse(status=429, headers={"Retry-After": "9999"})  # beyond the source's cap of 5 s


class UnreadableLikedSongs(SmallLibrary):
    """The small library, with a Liked Songs file that cannot be parsed."""

    def liked_track_ids(self):
        raise ValueError("liked_songs.csv, line 7: not valid CSV (',' expected after '\"')")


def pages(resources) -> dict[str, str]:
    written = Path(resources["output"].path).glob("playlists/*/clusters.md")
    return {path.parent.name: path.read_text(encoding="utf-8") for path in written}


def test_liked_songs_that_cannot_be_read_block_no_page(instance, resources, capsys):
    assert cli.refresh(instance, definitions(resources, UnreadableLikedSongs())) == 0
    printed = capsys.readouterr()
    reason = "liked_songs.csv, line 7: not valid CSV (',' expected after '\"')"
    assert printed.err.count(f"Liked Songs could not be read: {reason}; hearts are missing") == 1
    assert "\n5 pages written in " in printed.out and "Stack Trace" not in printed.err
    written = pages(resources)
    assert len(written) == 5 and all(page.count("💚") == page.count(TABLE_HEADER) for page in written.values())
    line = "Liked Songs could not be read: liked\\_songs.csv, line 7: not valid CSV (',' expected after '\"'); hearts are missing"
    assert all(page.endswith(f"\n\n{line}\n") for page in written.values())

    assert cli.refresh(instance, definitions(resources, SmallLibrary())) == 0  # readable again: hearts come back
    assert "\n5 pages written in " in capsys.readouterr().out
    assert any(page.count("💚") > page.count(TABLE_HEADER) for page in pages(resources).values())
    assert not any("Liked Songs could not be read" in page for page in pages(resources).values())


def test_the_sensor_goes_on_with_the_playlists_when_liked_songs_cannot_be_read(instance, resources):
    defs = definitions(resources, UnreadableLikedSongs())
    context = dg.build_sensor_context(instance=instance, resources=defs.resources, definitions=defs)
    [liked] = playlist_discovery_sensor(context).run_requests
    run = defs.resolve_job_def(refresh_job.name).execute_in_process(instance=instance, asset_selection=liked.asset_selection)
    assert run.success  # materialized as unreadable
    result = playlist_discovery_sensor(dg.build_sensor_context(instance=instance, resources=defs.resources, definitions=defs))
    assert len(result.run_requests) == 5


@pytest.fixture
def account():
    with FakeSpotifyAccount() as fake:
        fake.extended_quota = True
        yield fake


def spotify_definitions(account, tmp_path, **source_fields) -> dg.Definitions:
    resources = graph_resources(account, tmp_path)
    if source_fields:
        resources["source"] = account.source(tmp_path, max_attempts=1, **source_fields)
    return dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources)


def test_a_long_rate_limit_stops_the_refresh_at_once_and_is_remembered(account, tmp_path, instance, capsys):
    names = {add_playlist(account, name): name for name in ("one", "two", "three")}
    order = sorted(names, key=lambda playlist_id: playlist_slug(playlist_id, names[playlist_id]))  # the partitions'
    account.fail(f"/v1/playlists/{order[1]}/items", RATE_LIMITED)
    defs = spotify_definitions(account, tmp_path, look_up_labels=True)
    asked_at = datetime.now(UTC)

    assert cli.refresh(instance, defs) == 1

    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out and "Stack Trace" not in printed.err
    assert printed.err.strip().splitlines()[-1].startswith("Spotify asked this app to wait: no Spotify request before ")
    until = rate_limit.not_before(instance)
    assert timedelta(seconds=9990) < until - asked_at < timedelta(seconds=10010)
    # The listing, Liked Songs, the first playlist (with its label probe), the second up to its 429; then nothing:
    # no third playlist, no audio features.
    assert account.paths() == [
        "/v1/me/playlists",
        "/v1/me/tracks",
        f"/v1/playlists/{order[0]}/items",
        f"/v1/albums/al-{names[order[0]]}0",
        f"/v1/playlists/{order[1]}/items",
    ]
    assert len(instance.get_runs()) == 3  # Liked Songs, one run over the three playlists, the index (no request)

    assert cli.refresh(instance, defs) == 1  # a later refresh asks Spotify nothing
    assert capsys.readouterr().err == rate_limit.waiting_message(until) + "\n"
    with dg.build_sensor_context(instance=instance, resources=defs.resources, definitions=defs) as sensor_context:
        assert playlist_discovery_sensor(sensor_context).skip_message == rate_limit.waiting_message(until)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=asked_at) as schedule_context:
        assert [r.skip_message for r in refresh_schedule(schedule_context)] == [rate_limit.waiting_message(until)]
    assert len(account.paths()) == 5 and len(instance.get_runs()) == 3


def test_a_long_rate_limit_on_liked_songs_stops_before_any_playlist(account, tmp_path, instance, capsys):
    add_playlist(account, "one")
    account.fail("/v1/me/tracks", RATE_LIMITED)
    assert cli.refresh(instance, spotify_definitions(account, tmp_path)) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("Spotify asked this app to wait: no Spotify request before ")
    assert account.paths() == ["/v1/me/playlists", "/v1/me/tracks"]


def test_a_refresh_reads_liked_songs_once(account, tmp_path, instance, capsys):
    account.liked = [track(f"liked{n}") for n in range(120)]
    add_playlist(account, "one")
    defs = spotify_definitions(account, tmp_path)
    assert cli.refresh(instance, defs) == 0
    assert len(account.paths("/v1/me/tracks")) == math.ceil(120 / 50)
    assert cli.refresh(instance, defs) == 0  # nothing changed: the listing and the Liked Songs pages
    assert len(account.paths("/v1/me/tracks")) == 2 * math.ceil(120 / 50)


@pytest.mark.parametrize("fault", ["no login", "refused"])
def test_an_expected_failure_of_the_listing_is_one_line_without_a_traceback(account, tmp_path, instance, capsys, fault):
    defs = spotify_definitions(account, tmp_path)
    if fault == "no login":
        defs.resources["source"].token_cache().unlink()
    else:
        account.refuse("/v1/me/playlists", 403)
    assert cli.refresh(instance, defs) == 1
    printed = capsys.readouterr()
    [line] = printed.err.splitlines()
    assert line.startswith("The playlists could not be listed: ")
    assert ("run `./run.sh login`" if fault == "no login" else "Spotify answers 403") in line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_stays_quiet_otherwise(instance, resources, capsys):
    defs = definitions(resources, SmallLibrary(broken=FOUR_GENRES))
    with contextlib.redirect_stderr(Terminal()) as terminal:
        assert cli.refresh(instance, defs) == 1
    shown = terminal.getvalue()
    assert "5/5" in shown and "playlist" in shown and "1 failed" in shown and "<" in shown  # elapsed<left

    assert cli.refresh(instance, defs, everything=True) == 1
    printed = capsys.readouterr()
    assert "5/5" not in printed.err and "\r" not in printed.err
    assert "\n4 pages written, 1 failed in " in printed.out and "Stack Trace" not in printed.err
