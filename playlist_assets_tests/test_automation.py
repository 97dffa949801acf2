"""The discovery sensor and the refresh schedule, evaluated against an instance."""

import datetime

import dagster as dg

from playlist_assets.assets.settings import PARTITIONS_PER_RUN
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import add_playlist_partitions, playlist_key
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.render import page_path, playlist_slug, scatter_path
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import DemoSource
from playlist_assets_tests.postgres import ON_BOTH_STORAGES

defs = project_definitions()

RAW_TRACKS = dg.AssetKey("raw_tracks")
CLUSTERS_PAGE = dg.AssetKey("clusters_page")

STALE = PlaylistInfo(id="0000000000000000000000", name="Old Name", snapshot_id="s0")


def evaluate_sensor(instance, output_dir="unused-output", source=None) -> dg.SensorResult:
    resources = {"source": source or DemoSource(), "output": OutputFolder(path=str(output_dir))}
    context = dg.build_sensor_context(instance=instance, resources=resources, definitions=defs)
    return playlist_discovery_sensor(context)


def record_refresh(instance, playlist, snapshot_id=None, page=True):
    """Record a refresh of ``playlist`` at ``snapshot_id`` as the assets would (``page=False``: it stopped before
    the page), without running them."""
    snapshot = {"snapshot_id": snapshot_id or playlist.snapshot_id}
    key = playlist_key(playlist)
    instance.report_runless_asset_event(dg.AssetMaterialization(RAW_TRACKS, partition=key, metadata=snapshot))
    if page:
        instance.report_runless_asset_event(dg.AssetMaterialization(CLUSTERS_PAGE, partition=key, metadata=snapshot))


def mark_liked_songs_materialized(instance):
    instance.report_runless_asset_event(dg.AssetMaterialization(LIKED_KEYS[0]))


def test_first_tick_refreshes_liked_songs_before_any_playlist(instance):
    result = evaluate_sensor(instance)
    assert [r.asset_selection for r in result.run_requests] == [LIKED_KEYS]
    assert not result.dynamic_partitions_requests
    assert instance.get_dynamic_partitions("playlists") == []


@ON_BOTH_STORAGES
def test_sensor_adds_new_playlists_and_requests_a_run_for_each(instance, demo_playlists):
    mark_liked_songs_materialized(instance)
    result = evaluate_sensor(instance)
    [add] = result.dynamic_partitions_requests
    assert isinstance(add, dg.AddDynamicPartitionsRequest)
    assert sorted(add.partition_keys) == sorted(map(playlist_key, demo_playlists.values()))
    assert "international_pop_d8ae6175" in add.partition_keys
    assert sorted(r.partition_key for r in result.run_requests) == sorted(add.partition_keys)
    assert all(r.asset_selection == PLAYLIST_KEYS for r in result.run_requests)


@ON_BOTH_STORAGES
def test_sensor_removes_deleted_playlists_with_their_pages_and_leaves_the_others(instance, demo_playlists, tmp_path):
    mark_liked_songs_materialized(instance)
    add_playlist_partitions(instance, [*demo_playlists.values(), STALE])
    for playlist in demo_playlists.values():
        record_refresh(instance, playlist)
    kept = page_path(tmp_path, playlist_slug(demo_playlists["International Pop"].id, "International Pop"))
    gone_page = page_path(tmp_path, playlist_slug(STALE.id, "Old Name"))
    gone_image = scatter_path(tmp_path, playlist_slug(STALE.id, "Older Name"))
    for path in (kept, gone_page, gone_image):
        path.parent.mkdir(parents=True)
        path.write_text("page")

    result = evaluate_sensor(instance, tmp_path)

    [delete] = result.dynamic_partitions_requests
    assert isinstance(delete, dg.DeleteDynamicPartitionsRequest)
    assert list(delete.partition_keys) == [playlist_key(STALE)]
    assert result.run_requests == []
    assert kept.exists()
    assert not gone_page.parent.exists() and not gone_image.parent.parent.exists()


def test_sensor_refreshes_only_changed_playlists_and_unfinished_refreshes(instance, demo_playlists):
    mark_liked_songs_materialized(instance)
    playlists = list(demo_playlists.values())
    add_playlist_partitions(instance, playlists)
    changed, unfinished, *unchanged = playlists
    record_refresh(instance, changed, snapshot_id="an older snapshot")
    record_refresh(instance, unfinished, page=False)
    for playlist in unchanged:
        record_refresh(instance, playlist)

    result = evaluate_sensor(instance)

    assert sorted(r.partition_key for r in result.run_requests) == sorted(map(playlist_key, [changed, unfinished]))
    assert {r.run_key for r in result.run_requests} == {f"{playlist_key(p)}:{p.snapshot_id}" for p in (changed, unfinished)}
    assert result.dynamic_partitions_requests == []


@ON_BOTH_STORAGES
def test_sensor_asks_nothing_when_nothing_changed(instance, demo_playlists):
    mark_liked_songs_materialized(instance)
    add_playlist_partitions(instance, demo_playlists.values())
    for playlist in demo_playlists.values():
        record_refresh(instance, playlist)
    result = evaluate_sensor(instance)
    assert result.run_requests == [] and result.dynamic_partitions_requests == []


def test_schedule_refreshes_liked_songs_once_and_every_partition_in_bounded_runs(instance, demo_playlists):
    keys = add_playlist_partitions(instance, demo_playlists.values())
    when = datetime.datetime(2026, 11, 26, 6, tzinfo=datetime.timezone.utc)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        requests = list(refresh_schedule(context))
    assert [r.asset_selection for r in requests].count(LIKED_KEYS) == 1
    playlist_runs = [r for r in requests if r.asset_selection == PLAYLIST_KEYS]
    covered = []
    for request in playlist_runs:
        start = request.tags.get("dagster/asset_partition_range_start", request.partition_key)
        end = request.tags.get("dagster/asset_partition_range_end", request.partition_key)
        covered += keys[keys.index(start) : keys.index(end) + 1]
        assert keys.index(end) - keys.index(start) < PARTITIONS_PER_RUN
    assert covered == keys and len(playlist_runs) == -(-len(keys) // PARTITIONS_PER_RUN)
    assert len({r.run_key for r in requests}) == len(requests)


class EmptyLibrary(DemoSource):
    """A source whose listing comes back empty (an outage, a wrong account)."""

    def list_playlists(self):
        return []


def test_an_empty_listing_deletes_nothing(instance, demo_playlists, tmp_path):
    mark_liked_songs_materialized(instance)
    playlist = demo_playlists["International Pop"]
    add_playlist_partitions(instance, [playlist])
    page = page_path(tmp_path, playlist_slug(playlist.id, playlist.name))
    page.parent.mkdir(parents=True)
    page.write_text("page")
    result = evaluate_sensor(instance, tmp_path, source=EmptyLibrary())
    assert result.dynamic_partitions_requests == [] and result.run_requests == []
    assert page.exists()
