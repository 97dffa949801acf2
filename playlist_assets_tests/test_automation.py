"""The discovery sensor and the refresh schedule, evaluated against an instance."""

import datetime

import dagster as dg

from playlist_assets.definitions import defs
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources import DemoSource

STALE_ID = "0000000000000000000000"


def evaluate_sensor(instance) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, resources={"source": DemoSource()}, definitions=defs)
    return playlist_discovery_sensor(context)


def mark_liked_songs_materialized(instance):
    instance.report_runless_asset_event(dg.AssetMaterialization(LIKED_KEYS[0]))


def test_first_tick_refreshes_liked_songs_before_any_playlist(instance):
    result = evaluate_sensor(instance)
    assert [r.asset_selection for r in result.run_requests] == [LIKED_KEYS]
    assert not result.dynamic_partitions_requests
    assert instance.get_dynamic_partitions("playlists") == []


def test_sensor_adds_new_playlists_and_requests_a_run_for_each(instance, demo_playlists):
    mark_liked_songs_materialized(instance)
    result = evaluate_sensor(instance)
    [add] = result.dynamic_partitions_requests
    assert isinstance(add, dg.AddDynamicPartitionsRequest)
    assert sorted(add.partition_keys) == sorted(p.id for p in demo_playlists.values())
    assert sorted(r.partition_key for r in result.run_requests) == sorted(add.partition_keys)
    assert all(r.asset_selection == PLAYLIST_KEYS for r in result.run_requests)


def test_sensor_removes_deleted_playlists_and_leaves_known_ones_alone(instance, demo_playlists):
    mark_liked_songs_materialized(instance)
    instance.add_dynamic_partitions("playlists", [p.id for p in demo_playlists.values()] + [STALE_ID])
    result = evaluate_sensor(instance)
    [delete] = result.dynamic_partitions_requests
    assert isinstance(delete, dg.DeleteDynamicPartitionsRequest)
    assert list(delete.partition_keys) == [STALE_ID]
    assert result.run_requests == []


def test_schedule_refreshes_liked_songs_once_and_every_partition(instance, demo_playlists):
    keys = [p.id for p in demo_playlists.values()]
    instance.add_dynamic_partitions("playlists", keys)
    when = datetime.datetime(2026, 11, 26, 6, tzinfo=datetime.timezone.utc)
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when)
    requests = list(refresh_schedule(context))
    assert [r.asset_selection for r in requests].count(LIKED_KEYS) == 1
    playlist_runs = [r for r in requests if r.asset_selection == PLAYLIST_KEYS]
    assert sorted(r.partition_key for r in playlist_runs) == sorted(keys)
    assert len({r.run_key for r in requests}) == len(requests)
