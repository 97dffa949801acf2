"""The discovery sensor and the asset graph on a fake Spotify account: what a refresh costs in requests,
and what happens to the pages of renamed and deleted playlists."""

import socket
import threading
import time
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import requests
import pytest

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS, clusters_page
from playlist_assets.definitions import library_resources
from playlist_assets.features import FeatureChain, SpotifyAudioFeatures
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, range_tags, refresh_job
from playlist_assets.render import page_path, playlist_slug, scatter_path
from playlist_assets.render.paths import slug_suffix
from playlist_assets.resources import OutputFolder
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.conftest import apply_partition_requests
from playlist_assets_tests.postgres import ON_BOTH_STORAGES
from playlist_assets_tests.reccobeats_stub import FakeReccoBeats
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track

PAGE = 50


def pages(n: int) -> int:
    """Requests for a list of ``n`` entries in pages of 50 (an empty list still takes one)."""
    return max(1, -(-n // PAGE))


@pytest.fixture
def account():
    with FakeSpotifyAccount() as fake:
        yield fake


@pytest.fixture
def live(account, tmp_path, instance):
    """Definitions on the fake account (features from metadata only: no request) and the instance."""
    resources = {
        "source": account.source(tmp_path),
        "features": FeatureChain(),
        "output": OutputFolder(path=str(tmp_path / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
    }
    defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], sensors=[playlist_discovery_sensor], resources=resources)
    return defs, instance


def tick(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.SensorResult:
    """One sensor evaluation, its partition requests applied to the instance as the daemon would."""
    resources = {name: defs.resources[name] for name in ("source", "output")}
    with dg.build_sensor_context(instance=instance, definitions=defs, resources=resources) as context:
        return apply_partition_requests(instance, playlist_discovery_sensor(context))


def run(defs: dg.Definitions, instance: dg.DagsterInstance, requests: list[dg.RunRequest]) -> None:
    """Execute the sensor's run requests: Liked Songs as asked, the playlists in one range run (the same
    per-playlist requests to Spotify as one run each, in a fraction of the time)."""
    job = defs.resolve_job_def(refresh_job.name)
    requested = {request.partition_key for request in requests if request.partition_key}
    if any(request.asset_selection == LIKED_KEYS for request in requests):
        assert job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS).success
    if requested:
        order = instance.get_dynamic_partitions("playlists")
        keys = [key for key in order if key in requested]
        assert keys == order[order.index(keys[0]) : order.index(keys[-1]) + 1]  # consecutive: one range covers them
        result = job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys))
        assert result.success


@pytest.mark.slow
def test_a_library_of_100_playlists_costs_the_minimum_of_requests_and_an_unchanged_one_only_its_listing(account, live):
    defs, instance = live
    sizes = {}
    for number in range(96):
        size = 120 if number == 0 else number % 9  # one playlist of 3 pages, the others of one page (0 to 8 items)
        entries = [track(f"p{number}t{i}", album_id=f"al{(number + i) % 40}") for i in range(size)]
        sizes[account.add_playlist(f"Playlist {number}", entries)] = size
    for number in range(4):  # followed, not owned: listed by Spotify, left out by the source
        account.add_playlist(f"Theirs {number}", [track(f"x{number}")], owner_id="someone-else")
    for album in range(40):
        account.add_album(f"al{album}")  # development mode: album objects without a label
    account.liked = [track(f"p{n}t1") for n in range(1, 131)]

    first = tick(defs, instance)  # Liked Songs first, so that the first pages get their hearts
    run(defs, instance, first.run_requests)
    second = tick(defs, instance)
    run(defs, instance, second.run_requests)
    first_run = len(account.paths())

    listing = pages(100)
    per_playlist = sum(-(-size // PAGE) for size in sizes.values())  # items pages only; an empty playlist costs none
    assert len(second.run_requests) == 96
    assert first_run == listing + pages(130) + listing + per_playlist + 1  # + 1: the album that shows no labels

    started = time.perf_counter()
    unchanged = tick(defs, instance)
    seconds = time.perf_counter() - started
    rerun = len(account.paths()) - first_run
    print(f"\n100 playlists: first run {first_run} requests; no-change rerun {rerun} requests in {seconds:.2f} s")
    assert rerun == listing == 2
    assert unchanged.run_requests == [] and unchanged.dynamic_partitions_requests == []

    changed = next(iter(sizes))
    account.playlists[changed]["snapshot_id"] = "snap-edited"
    assert [r.partition_key for r in tick(defs, instance).run_requests] == [playlist_slug(changed, "Playlist 0")]
    assert len(account.paths()) - first_run == 2 * listing


@ON_BOTH_STORAGES
def test_renamed_and_deleted_playlists_leave_no_stale_page(account, live, tmp_path):
    defs, instance = live
    output = tmp_path / "output"
    entries = [track(f"t{i}", album_id="al") for i in range(12)]
    renamed = account.add_playlist("Before", entries)
    deleted = account.add_playlist("Doomed", entries)
    run(defs, instance, tick(defs, instance).run_requests)
    run(defs, instance, tick(defs, instance).run_requests)
    old_page, old_image = page_path(output, playlist_slug(renamed, "Before")), scatter_path(output, playlist_slug(renamed, "Before"))
    doomed_page = page_path(output, playlist_slug(deleted, "Doomed"))
    assert old_page.exists() and doomed_page.exists()

    account.playlists[renamed].update(name="After", snapshot_id="snap-renamed")
    del account.playlists[deleted]
    result = tick(defs, instance)
    run(defs, instance, result.run_requests)

    assert instance.get_dynamic_partitions("playlists") == [playlist_slug(renamed, "After")] == ["after_" + slug_suffix(renamed)]
    assert not doomed_page.parent.exists()
    assert not old_page.parent.exists() and not old_image.parent.parent.exists()
    new_page = page_path(output, playlist_slug(renamed, "After"))
    assert new_page.read_text(encoding="utf-8").startswith("# Clusters in After")


def test_the_command_line_refreshes_a_live_account_configured_through_environment_variables(
    account, live, tmp_path, monkeypatch, capsys
):
    defs, instance = live
    monkeypatch.setenv("TEST_SPOTIFY_API_ROOT", account.api_root)
    source = account.source(tmp_path, api_root=dg.EnvVar("TEST_SPOTIFY_API_ROOT"))
    defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources={**defs.resources, "source": source})
    account.add_playlist("Mine", [track(f"t{i}", album_id="al") for i in range(10)])

    assert cli.refresh(instance, defs) == 0

    assert "1 pages written" in capsys.readouterr().out
    assert account.paths("/v1/me/playlists") == ["/v1/me/playlists"]


def page_metadata(instance: dg.DagsterInstance, playlist_id: str) -> dict:
    """The metadata of the latest page written for the playlist ``playlist_id`` (whatever its partition key)."""
    records = instance.fetch_materializations(clusters_page.key, limit=1000).records  # newest first
    pages = [record.asset_materialization.metadata for record in records]
    return next(metadata for metadata in pages if metadata["playlist_id"].value == playlist_id)


def items_pages(n: int) -> int:
    """Requests for a playlist's ``n`` items (the listing gives its size, so an empty one costs none)."""
    return -(-n // PAGE)


@pytest.mark.slow
def test_a_60_playlist_account_costs_the_formula_and_an_unchanged_refresh_its_listing_and_liked_songs(
    account, tmp_path, capsys
):
    sizes = [130, 51, 50] + [n % 12 for n in range(57)]  # 60 playlists of the user, 5 of them empty
    playlists = {}
    for number, size in enumerate(sizes):
        entries = [track(f"p{number:02d}t{i:018d}", album_id=f"al{(number + i) % 30}") for i in range(size)]
        playlists[account.add_playlist(f"Playlist {number}", entries)] = size
    for number in range(3):
        account.add_playlist(f"Followed {number}", [track(f"x{number}")], owner_id="someone-else")
    for album in range(30):
        account.add_album(f"al{album}")  # development mode: album objects without a label, no audio features
    account.liked = [track(f"p03t{i:018d}") for i in range(40)] + [track(f"liked{i}") for i in range(35)]
    known = {f"p00t{i:018d}": {column: (i % 7) / 7 for column in AUDIO_FEATURE_COLUMNS} for i in range(130) if i % 5}
    source = account.source(tmp_path)
    with FakeReccoBeats(known) as reccobeats, dg.instance_for_test() as instance:
        features = FeatureChain(spotify=SpotifyAudioFeatures(spotify=source), reccobeats=reccobeats.provider())
        resources = {
            "source": source,
            "features": features,
            "output": OutputFolder(path=str(tmp_path / "output")),
            "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        }
        defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], sensors=[playlist_discovery_sensor], resources=resources)
        for _ in range(2):  # the first tick asks for Liked Songs only, the second for the playlists
            run(defs, instance, tick(defs, instance).run_requests)
        first_run = account.paths()

        listing, liked = pages(63), pages(75)
        formula = listing + sum(items_pages(size) for size in sizes) + liked + 1 + 1  # + audio-features + label probes
        assert len(first_run) == formula + listing
        assert first_run.count("/v1/me/playlists") == 2 * listing and first_run.count("/v1/me/tracks") == liked
        assert [path for path in first_run if path.startswith("/v1/playlists/") and not path.endswith("/items")] == []
        assert account.paths("/v1/audio-features") == ["/v1/audio-features"] and len(account.paths("/v1/albums")) == 1

        assert tick(defs, instance).run_requests == []
        assert account.paths()[len(first_run) :] == ["/v1/me/playlists"] * listing
        before_cli = len(account.paths())
        assert cli.refresh(instance, defs) == 0
        assert account.paths()[before_cli:] == ["/v1/me/playlists"] * listing + ["/v1/me/tracks"] * liked
        with capsys.disabled():
            print(
                f"\n60 playlists: first run {len(first_run)} requests (formula {formula}, + {listing} for the sensor's"
                f" second listing); no change: sensor tick {listing}, ./run.sh {len(account.paths()) - before_cli}"
            )
        assert "3 playlists left out, not owned or collaborative: Followed 0, Followed 1, Followed 2" in capsys.readouterr().out

        metadata = page_metadata(instance, next(iter(playlists)))
        assert metadata["reccobeats share"].value == 0.8  # it knew 104 of the 130 tracks asked
        assert metadata["feature sources"].value == {"reccobeats": 104, "metadata": 26}
        assert "ReccoBeats knew 104 of the 130 tracks asked (80%)" in Path(metadata["path"].value).read_text()
        assert {request.headers["user-agent"] for request in reccobeats.server.requests} == {
            f"playlist_assets/{version('playlist_assets')} (Dagster playlist clustering)"
        }

        changed = next(key for key, size in playlists.items() if size == 51)
        account.playlists[changed]["snapshot_id"] = "snap-edited"
        before_change = len(account.paths())
        run(defs, instance, tick(defs, instance).run_requests)
        assert account.paths()[before_change:] == ["/v1/me/playlists"] * listing + [f"/v1/playlists/{changed}/items"] * 2


def test_playlists_of_the_same_name_are_told_apart_on_their_pages_and_in_the_command_line(account, live, capsys):
    defs, instance = live
    entries = [track(f"t{i}", album_id="al") for i in range(3)]
    first, second = account.add_playlist("Chill ", entries), account.add_playlist("  chill", entries)
    account.add_playlist("bath  time ", entries)
    account.add_playlist("Chill", entries, owner_id="dj")  # followed: left out, told apart by its owner
    solo = account.add_playlist("Solo", entries)
    account.add_playlist("Solo", entries, owner_id="dj")  # the only other "Solo" is left out: no page to tell apart

    assert cli.refresh(instance, defs) == 0

    out = capsys.readouterr().out
    assert "2 playlists left out, not owned or collaborative: Chill (Dj), Solo (Dj)" in out
    assert Path(page_metadata(instance, solo)["path"].value).read_text().startswith("# Clusters in Solo\n")
    titles = {Path(page_metadata(instance, key)["path"].value).read_text().splitlines()[0] for key in (first, second)}
    assert titles == {f"# Clusters in Chill ({first})", f"# Clusters in chill ({second})"}
    assert f"  Chill ({first}) (not clustered)" in out and "  bath time (not clustered)" in out


def test_spotify_api_and_accounts_roots_come_from_the_environment(account, tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        "SPOTIPY_CLIENT_ID": "fake-client-id",
        "SPOTIPY_CLIENT_SECRET": account.client_secret,
        "SPOTIPY_REDIRECT_URI": f"http://127.0.0.1:{port}/callback",
        "SPOTIFY_API_ROOT": account.api_root,
        "SPOTIFY_ACCOUNTS_ROOT": account.server.url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def browser(url: str) -> bool:  # the user says yes: Spotify's accounts service redirects to the login's server
        assert url.startswith(f"{account.server.url}/authorize?")
        state = parse_qs(urlsplit(url).query)["state"][0]
        redirect = f"{environment['SPOTIPY_REDIRECT_URI']}?code=the-code&state={state}"
        threading.Thread(target=lambda: requests.get(redirect, timeout=5), daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    assert cli.log_in(open_browser=True) == 0
    playlist = account.add_playlist("Mine", [track("t1", album_id="al1")])
    account.add_album("al1")
    with dg.build_resources(library_resources("spotify", "", reccobeats=False, previews=False)) as resources:
        [listed] = resources.source.list_playlists()
        resources.features.features(resources.source.fetch_playlist(listed.id).tracks)

    assert account.paths() == [
        "/api/token", "/v1/me", "/v1/me/playlists", f"/v1/playlists/{playlist}/items", "/v1/albums/al1",
        "/v1/audio-features",
    ]
