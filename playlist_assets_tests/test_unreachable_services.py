"""A feature service that cannot be reached (no connection, the connection dropped): the playlists that need it
fail in words, their pages kept, the others go on, and the service is not asked track by track."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS
from playlist_assets.features import FeatureChain
from playlist_assets.features.deezer import UNREACHABLE_AFTER
from playlist_assets.features.unreachable import ServiceUnreachable
from playlist_assets.jobs import refresh_job
from playlist_assets.render import playlist_slug
from playlist_assets_tests.deezer_stub import FakeDeezer, click_track
from playlist_assets_tests.reccobeats_stub import FakeReccoBeats
from playlist_assets_tests.servers import free_port
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse
from playlist_assets_tests.test_preview_chain import spotify_features
from playlist_assets_tests.test_previews import track_id, track_table
from playlist_assets_tests.test_retries import graph_resources

HANG_UP = StubResponse(hang_up=True)


def test_reccobeats_refusing_the_connection_is_said_in_words_without_the_tracks_asked():
    root = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    tracks = track_table([{"id": track_id(n)} for n in range(3)])
    with pytest.raises(ServiceUnreachable) as raised:
        FakeReccoBeats({}).provider().model_copy(update={"base_url": root}).features(tracks)

    assert str(raised.value) == (
        f"ReccoBeats could not be reached at {root}: the connection was refused. "
        "The next refresh tries again; PLAYLIST_ASSETS_RECCOBEATS=off clusters without it"
    )


def test_deezer_hanging_up_fails_the_playlist_after_a_few_requests_and_the_next_one_asks_once():
    with FakeDeezer() as deezer:
        for n in range(40):
            deezer.add(f"USAAA{n:07d}", f"Song {n}", "Band", 180, click_track(100 + n))
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA{n:07d}"} for n in range(40)])
        provider = deezer.provider(workers=4)
        deezer.fail("/track/", *[HANG_UP] * 1000)
        with pytest.raises(ServiceUnreachable, match=r"^Deezer could not be reached at .*: the connection was lost"):
            provider.features(tracks)
        first = len(deezer.api_paths())
        with pytest.raises(ServiceUnreachable):
            provider.features(tracks)  # the next playlist
        second = len(deezer.api_paths()) - first
        deezer.recover()
        back = provider.features(tracks)  # Deezer is back: the first answer counts it reachable again

    assert UNREACHABLE_AFTER <= first < UNREACHABLE_AFTER + 4  # the requests in flight when it counted as unreachable
    assert 1 <= second <= 4  # one a worker at most
    assert len(back) == 40


def test_playlists_needing_an_unreachable_reccobeats_fail_alone_and_keep_their_pages(tmp_path, instance, capsys):
    with FakeSpotifyAccount() as account, FakeReccoBeats({}) as reccobeats:
        entries = {name: [track(f"{name}{n}", f"Song {n}") for n in range(12)] for name in ("one", "two")}
        reccobeats.catalogue.update({entry["id"]: spotify_features(n) for n, entry in enumerate(entries["one"] + entries["two"])})
        one = account.add_playlist("One", entries["one"])
        two = account.add_playlist("Two", entries["two"])
        resources = graph_resources(account, tmp_path)
        resources["features"] = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path / "cache"))
        defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources)
        assert cli.refresh(instance, defs) == 0
        pages = {key: Path(tmp_path / "output" / "playlists" / playlist_slug(key, name) / "clusters.md")
                 for key, name in ((one, "One"), (two, "Two"))}
        written = {key: page.read_bytes() for key, page in pages.items()}
        capsys.readouterr()

        # One gains a track ReccoBeats was never asked about; Two loses one (its others are in the cache)
        new = track("one-new", "New song")
        reccobeats.catalogue[new["id"]] = spotify_features(99)
        account.items[one].append({"item": new, "track": new, "added_at": "2026-02-01T00:00:00Z", "is_local": False})
        account.items[two].pop()
        for key in (one, two):
            account.playlists[key]["snapshot_id"] += "-edited"
        asked_before = len(reccobeats.asked())
        reccobeats.faults.extend([HANG_UP] * 100)
        assert cli.refresh(instance, defs) == 1
        asked = reccobeats.asked()[asked_before:]

    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    failed = [line for line in printed.err.splitlines() if "FAILED" in line]
    assert failed == [
        f"  One ({one}): FAILED: ReccoBeats could not be reached at {reccobeats.server.url}/v1: the connection was lost. "
        "The next refresh tries again; PLAYLIST_ASSETS_RECCOBEATS=off clusters without it"
    ]
    assert pages[one].read_bytes() == written[one]  # kept as it was
    page_two = pages[two].read_text(encoding="utf-8")
    assert entries["two"][-1]["id"] not in page_two and entries["two"][0]["id"] in page_two  # written anew
    assert asked == [[new["id"]]]  # once, for the one track the cache did not have
