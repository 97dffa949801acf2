"""The discovery sensor and the asset graph on a fake Spotify account: what a refresh costs in requests,
and what happens to the pages of renamed and deleted playlists."""

import time

import dagster as dg
import pytest

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS
from playlist_assets.features import FeatureChain
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, range_tags, refresh_job
from playlist_assets.render import page_path, playlist_slug, scatter_path
from playlist_assets.resources import OutputFolder
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.postgres import ON_BOTH_STORAGES
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
        result = playlist_discovery_sensor(context)
    for request in result.dynamic_partitions_requests:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions("playlists", list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition("playlists", key)
    return result


def run(defs: dg.Definitions, instance: dg.DagsterInstance, requests: list[dg.RunRequest]) -> None:
    """Execute the sensor's run requests: Liked Songs as asked, the playlists in one range run (the same
    per-playlist requests to Spotify as one run each, in a fraction of the time)."""
    job = defs.resolve_job_def(refresh_job.name)
    keys = [request.partition_key for request in requests if request.partition_key]
    if any(request.asset_selection == LIKED_KEYS for request in requests):
        assert job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS).success
    if keys:
        order = instance.get_dynamic_partitions("playlists")
        assert keys == [key for key in order if key in keys]
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
    per_playlist = sum(1 + pages(size) for size in sizes.values())
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
    assert [r.partition_key for r in tick(defs, instance).run_requests] == [changed]
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

    assert instance.get_dynamic_partitions("playlists") == [renamed]
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
