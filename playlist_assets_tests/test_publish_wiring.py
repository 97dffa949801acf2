"""Publishing wired into the refresh: ./run.sh and the discovery sensor with PLAYLIST_ASSETS_PUBLISH, through the real
client against the fake account's write endpoints (demo playlists copied into it, so that they have clusters)."""

import datetime
import pickle
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets import cli, rate_limit
from playlist_assets.assets import ALL_ASSETS, PUBLISH_ASSETS, cluster_playlists
from playlist_assets.assets.checks import broken_links
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.features import DemoFeatures
from playlist_assets.jobs import PLAYLIST_KEYS, PUBLISH_KEYS, refresh_job
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import add_playlist_partitions, playlist_key
from playlist_assets.publishing import DesiredCluster, paste_text, track_uri
from playlist_assets.render import page_path
from playlist_assets.resources import OutputFolder
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources import DemoSource
from playlist_assets.sources.spotify_client import WRITE_SCOPE
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets.writers import publish_state
from playlist_assets.writers.files import write_paste_files
from playlist_assets.writers.spotify import READ_ONLY
from playlist_assets_tests.conftest import apply_partition_requests, demo_resources
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse

DEMO = {playlist.name: playlist for playlist in DemoSource().list_playlists()}
FOUR, PIPES = "Four Corners", "Pipes | <Brackets> [& Emoji] 🎧🔥`"  # 4 and 3 clusters


@pytest.fixture
def account():
    with FakeSpotifyAccount() as fake:
        yield fake


def copy_demo_playlist(account: FakeSpotifyAccount, name: str) -> str:
    """The demo playlist ``name`` added to the account (same tracks, so the demo's features); its id."""
    tracks = DemoSource().fetch_playlist(DEMO[name].id).tracks
    return account.add_playlist(name, [track(track_id, title) for track_id, title in tracks["name"].items()])


def definitions(account: FakeSpotifyAccount, folder: Path, publishing: bool = True) -> dg.Definitions:
    """The code location on the fake account, with cluster_playlists when ``publishing``."""
    resources = {
        "source": account.source(folder),
        "features": DemoFeatures(),
        "output": OutputFolder(path=str(folder / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(folder / "storage")),
    }
    assets = [*ALL_ASSETS, *(PUBLISH_ASSETS if publishing else [])]
    return dg.Definitions(assets=assets, jobs=[refresh_job], sensors=[playlist_discovery_sensor], resources=resources)


def tick(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.SensorResult:
    resources = {name: defs.resources[name] for name in ("source", "output")}
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=resources) as context:
        return apply_partition_requests(instance, playlist_discovery_sensor(context))


def expected_playlists(account: FakeSpotifyAccount, folder: Path, playlist_id: str) -> dict[str, list[str]]:
    """Name -> track ids, in the playlist's order, of each cluster of the playlist's stored clustering."""
    clustering = pickle.loads((folder / "storage" / "track_clusters" / f"{playlist_id}.pkl").read_bytes())
    cluster = clustering.tracks["cluster"]
    name = account.playlists[playlist_id]["name"]
    return {
        f"{name} · {clustering.names[number]}": [t for t in account.track_ids(playlist_id) if cluster.get(t) == number]
        for number in sorted(set(cluster) - {0})
    }


def published_playlists(account: FakeSpotifyAccount, instance: dg.DagsterInstance, playlist_id: str) -> dict[str, list[str]]:
    """Name -> track ids of each Spotify playlist published for the playlist, as the account holds them."""
    state = publish_state.load(instance, playlist_id)
    return {account.playlists[c.playlist_id]["name"]: account.track_ids(c.playlist_id) for c in state.clusters.values()}


def latest_publishing(instance: dg.DagsterInstance) -> dict:
    [record] = instance.fetch_materializations(cluster_playlists.key, limit=1).records
    return {name: value.value for name, value in record.asset_materialization.metadata.items()}


def test_a_dry_run_refresh_writes_nothing_and_its_summary_shows_the_plan(account, tmp_path, instance, monkeypatch, capsys):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "dry-run")
    copy_demo_playlist(account, FOUR)

    assert cli.refresh(instance, definitions(account, tmp_path)) == 0

    out = capsys.readouterr().out
    assert account.writes() == []
    assert "Publishing, dry run (nothing sent):\n  Four Corners: 4 playlists to write, 0 unchanged\n" in out
    assert out.count("    - create “Four Corners · ") == 4 and out.count(" with 20 tracks") == 4
    recorded = latest_publishing(instance)
    assert (recorded["publish mode"], recorded["playlists to create"], recorded["tracks to add"]) == ("dry-run", 4, 80)


def test_publishing_makes_a_playlist_per_cluster_a_rerun_writes_nothing_and_they_never_become_pages(
    account, tmp_path, instance, monkeypatch, capsys
):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    four, two = copy_demo_playlist(account, FOUR), copy_demo_playlist(account, "Two Tracks")  # two: not clustered
    defs = definitions(account, tmp_path)

    assert cli.refresh(instance, defs) == 0

    assert published_playlists(account, instance, four) == expected_playlists(account, tmp_path, four)
    assert len(account.owned_by_app()) == 4
    first = account.writes()
    assert Counter(method for method, _ in first) == {"POST": 4, "PUT": 4}  # 4 creations, each filled by one PUT
    assert "Published to Spotify in 8 write requests:\n  Four Corners: 4 playlists to write" in capsys.readouterr().out

    assert cli.refresh(instance, defs) == 0  # plain: nothing changed, nothing runs
    assert cli.refresh(instance, defs, everything=True) == 0  # --all: everything runs, nothing to write
    assert account.writes() == first
    out = capsys.readouterr().out
    assert out.count("4 playlists left out, made by publishing clusters: Four Corners · ") == 2
    assert "  2 playlists with nothing to write to Spotify" in out
    keys = [playlist_key(PlaylistInfo(four, FOUR, "")), playlist_key(PlaylistInfo(two, "Two Tracks", ""))]
    assert instance.get_dynamic_partitions("playlists") == keys
    assert sorted(path.name for path in (tmp_path / "output" / "playlists").iterdir()) == sorted(keys)
    result = tick(defs, instance)
    assert (result.run_requests, result.dynamic_partitions_requests) == ([], [])


def test_turning_publishing_on_after_a_refresh_publishes_on_the_next_plain_run_without_reading_again(
    account, tmp_path, instance, monkeypatch, capsys
):
    four = copy_demo_playlist(account, FOUR)
    key = playlist_key(PlaylistInfo(four, FOUR, ""))
    monkeypatch.delenv("PLAYLIST_ASSETS_PUBLISH", raising=False)
    assert cli.refresh(instance, definitions(account, tmp_path, publishing=False)) == 0
    items = ("GET", f"/v1/playlists/{four}/items")
    read = account.counts()[items]

    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "dry-run")
    assert cli.refresh(instance, definitions(account, tmp_path)) == 0
    assert "Four Corners: 4 playlists to write" in capsys.readouterr().out and account.writes() == []

    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    defs = definitions(account, tmp_path)
    [request] = tick(defs, instance).run_requests  # the sensor asks for the page and publishing, not the whole chain
    assert (request.partition_key, request.asset_selection) == (key, PUBLISH_KEYS)
    assert request.run_key == f"{key}:{account.playlists[four]['snapshot_id']}:spotify"
    assert cli.refresh(instance, defs) == 0

    assert published_playlists(account, instance, four) == expected_playlists(account, tmp_path, four)
    assert account.counts()[items] == read  # the tracks were not read again
    assert tick(defs, instance).run_requests == []


def test_a_read_only_login_writes_nothing_and_says_so_in_one_line_while_the_pages_are_written(
    account, tmp_path, instance, monkeypatch, capsys
):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    for name in (FOUR, PIPES):
        copy_demo_playlist(account, name)
    account.granted_scopes.discard(WRITE_SCOPE)

    assert cli.refresh(instance, definitions(account, tmp_path)) == 1

    out, err = capsys.readouterr()
    assert "2 pages written" in out
    [line] = [line for line in err.splitlines() if "Not published" in line]
    assert line.startswith("  Not published (2 playlists: ") and line.endswith(f"): {READ_ONLY}")
    assert "Traceback" not in err
    assert account.writes() == [("POST", "/v1/me/playlists")]  # refused once, then no more requests
    assert account.owned_by_app() == {}


def test_a_playlist_failing_to_publish_fails_alone_and_is_published_on_the_next_plain_run(
    account, tmp_path, instance, monkeypatch, capsys
):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    four, pipes = copy_demo_playlist(account, FOUR), copy_demo_playlist(account, PIPES)
    account.fail("/v1/me/playlists", StubResponse(status=400, body=b'{"error": {"status": 400}}'), method="POST")
    defs = definitions(account, tmp_path)

    assert cli.refresh(instance, defs) == 1

    err = capsys.readouterr().err
    assert "  Not published (1 playlist: Four Corners): Spotify answers 400 to " in err and "Traceback" not in err
    assert published_playlists(account, instance, four) == {}
    assert published_playlists(account, instance, pipes) == expected_playlists(account, tmp_path, pipes)

    assert cli.refresh(instance, defs) == 0
    assert published_playlists(account, instance, four) == expected_playlists(account, tmp_path, four)
    assert len(account.owned_by_app()) == 7


def test_a_long_429_on_a_write_stops_the_writes_as_it_stops_the_reads(account, tmp_path, instance, monkeypatch, capsys):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    for name in (FOUR, PIPES):
        copy_demo_playlist(account, name)
    account.fail("/v1/me/playlists", StubResponse(status=429, headers={"Retry-After": "3600"}), method="POST")

    assert cli.refresh(instance, definitions(account, tmp_path)) == 1

    err = capsys.readouterr().err
    assert rate_limit.waiting_message(rate_limit.waiting_until(instance)) in err and "Traceback" not in err
    assert account.writes() == [("POST", "/v1/me/playlists")]  # the other playlist was not tried


def test_without_an_account_each_clusters_tracks_go_beside_its_page_linked_from_it(tmp_path, instance, monkeypatch, capsys):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "spotify")
    resources = demo_resources(tmp_path)
    root = tmp_path / "output"
    resources["output"] = OutputFolder(path=str(root), paste_files=True)
    defs = dg.Definitions(assets=[*ALL_ASSETS, *PUBLISH_ASSETS], jobs=[refresh_job], resources=resources)

    assert cli.refresh(instance, defs) == 0

    assert "15 files of tracks to paste into Spotify's desktop app, beside the pages" in capsys.readouterr().out
    page = page_path(root, playlist_key(DEMO[FOUR]))
    tracks = DemoSource().fetch_playlist(DEMO[FOUR].id).tracks
    clustering = pickle.loads((tmp_path / "storage" / "track_clusters" / f"{DEMO[FOUR].id}.pkl").read_bytes())
    for number in range(1, 5):
        members = [track_uri(t) for t in tracks.index if clustering.tracks["cluster"].get(t) == number]
        assert (page.parent / f"cluster_{number}_tracks.txt").read_text() == paste_text(members)
        assert f"20 tracks — [as Spotify links, to paste into a playlist](cluster_{number}_tracks.txt)" in page.read_text()
    assert broken_links(page, root) == []
    assert latest_publishing(instance)["publish mode"] == "spotify"


def test_paste_files_of_clusters_gone_are_removed(tmp_path):
    one, two = DesiredCluster("A", ("spotify:track:a",)), DesiredCluster("B", ("spotify:track:b",))
    write_paste_files(tmp_path, {1: one, 2: two})
    assert write_paste_files(tmp_path, {1: one}) == {1: "cluster_1_tracks.txt"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cluster_1_tracks.txt"]


@pytest.mark.parametrize("mode", ["off", "dry-run", "spotify"])
def test_the_publish_setting_chooses_the_assets_when_the_code_location_loads(mode, monkeypatch):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", mode)
    monkeypatch.setenv("PLAYLIST_ASSETS_SOURCE", "demo")
    loaded = project_definitions()
    job_keys = loaded.resolve_job_def(refresh_job.name).asset_layer.executable_asset_keys
    assert (cluster_playlists.key in job_keys) == (mode != "off")
    assert loaded.resources["output"].paste_files == (mode == "spotify")  # the demo has no account to write to


def test_the_schedule_publishes_every_playlist_when_publishing_is_on(instance, monkeypatch):
    add_playlist_partitions(instance, DEMO.values())
    when = datetime.datetime(2026, 11, 26, 6, tzinfo=datetime.timezone.utc)
    for mode, chain in (("off", PLAYLIST_KEYS), ("dry-run", [*PLAYLIST_KEYS, cluster_playlists.key])):
        monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", mode)
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
            [_, playlists] = refresh_schedule(context)  # Liked Songs, then the 9 playlists in one range
        assert playlists.asset_selection == chain


@pytest.mark.parametrize("command", [[], ["login"]])
def test_an_unknown_publish_setting_is_said_in_one_line(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", "yes")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SPOTIPY_CLIENT_ID", "fake-client-id")
    monkeypatch.setenv("PLAYLIST_ASSETS_OUTPUT", str(tmp_path / "output"))

    assert cli.main(command) == 2

    assert capsys.readouterr().err == "playlist-assets: PLAYLIST_ASSETS_PUBLISH='yes': use one of off, dry-run, spotify\n"
