"""Runs that refresh playlists carry the playlists' names in their tags, so that the runs list says which."""

import datetime

import dagster as dg

from playlist_assets.assets import clusters_page, liked_tracks
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.jobs import NAMES_SHOWN, PLAYLIST_TAG, PLAYLISTS_TAG, RANGE_END, RANGE_START, name_tags
from playlist_assets.partitions import add_playlist_partitions, playlist_key, playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor, playlist_names_on_runs, run_playlists
from playlist_assets.sources import DemoSource

defs = project_definitions()


def test_one_playlist_is_named_and_many_are_listed_up_to_a_length():
    assert name_tags(["k1"], {"k1": "מי זאת 🎧"}) == {PLAYLIST_TAG: "מי זאת 🎧"}
    assert name_tags(["k1", "k2"], {"k1": "A"}) == {PLAYLISTS_TAG: "A, k2"}
    keys = [f"key{n}" for n in range(100)]
    listed = name_tags(keys, {key: f"Playlist number {key}" for key in keys})[PLAYLISTS_TAG]
    assert listed.startswith("Playlist number key0, Playlist number key1, ")
    shown = listed.rpartition(" and ")[0].split(", ")
    assert len(", ".join(shown)) <= NAMES_SHOWN
    assert listed.endswith(f" and {100 - len(shown)} more")


def test_the_sensor_names_the_playlist_of_each_run(instance):
    instance.report_runless_asset_event(dg.AssetMaterialization(liked_tracks.key))
    resources = {"source": DemoSource(), "output": OutputFolder(path="unused-output")}
    result = playlist_discovery_sensor(dg.build_sensor_context(instance=instance, resources=resources, definitions=defs))
    names = {playlist_key(playlist): playlist.name for playlist in DemoSource().list_playlists()}
    assert {request.partition_key: request.tags[PLAYLIST_TAG] for request in result.run_requests} == names


def test_the_schedule_names_the_playlists_of_each_run_as_their_pages_recorded(instance):
    playlists = DemoSource().list_playlists()
    add_playlist_partitions(instance, playlists)
    for playlist in playlists:
        page = dg.AssetMaterialization(clusters_page.key, partition=playlist_key(playlist), metadata={"playlist": playlist.name})
        instance.report_runless_asset_event(page)
    when = datetime.datetime(2026, 12, 1, 6, tzinfo=datetime.UTC)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as context:
        requests = list(refresh_schedule(context))
    (playlist_run,) = [request for request in requests if PLAYLISTS_TAG in request.tags]
    listed = playlist_run.tags[PLAYLISTS_TAG]
    names = {playlist_key(playlist): playlist.name for playlist in playlists}
    first, second = instance.get_dynamic_partitions("playlists")[:2]
    assert listed.startswith(f"{names[first]}, {names[second]}, ")


def test_a_run_covers_its_partition_or_its_range_of_partitions():
    order = ["a", "b", "c", "d"]
    assert run_playlists({"dagster/partition": "c"}, order) == ["c"]
    assert run_playlists({RANGE_START: "b", RANGE_END: "d"}, order) == ["b", "c", "d"]
    assert run_playlists({"dagster/partition": "gone"}, order) == [] == run_playlists({}, order)


@dg.asset(partitions_def=playlist_partitions)
def a_playlist_step() -> None:
    """Stands for the playlist chain in a run launched from the UI (tagged with its partition only)."""


def test_a_run_launched_without_names_is_tagged_with_them_when_it_starts(instance):
    instance.add_dynamic_partitions("playlists", ["k1"])
    page = dg.AssetMaterialization(clusters_page.key, partition="k1", metadata={"playlist": "Road Trip 🚗"})
    instance.report_runless_asset_event(page)
    result = dg.materialize([a_playlist_step], partition_key="k1", instance=instance)
    started = next(event for event in result.all_events if event.event_type == dg.DagsterEventType.RUN_START)
    context = dg.build_run_status_sensor_context(
        sensor_name=playlist_names_on_runs.name,
        dagster_event=started,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    playlist_names_on_runs(context)
    assert instance.get_run_by_id(result.run_id).tags[PLAYLIST_TAG] == "Road Trip 🚗"
