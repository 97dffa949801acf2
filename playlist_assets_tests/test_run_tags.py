"""Runs that refresh playlists carry the playlists' names in their tags, so that the runs list says which."""

import datetime

import dagster as dg

from playlist_assets.assets import clusters_page, liked_tracks
from playlist_assets.definitions import defs
from playlist_assets.jobs import NAMES_SHOWN, PLAYLIST_TAG, PLAYLISTS_TAG, name_tags
from playlist_assets.resources import OutputFolder
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources import DemoSource


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
    names = {playlist.id: playlist.name for playlist in DemoSource().list_playlists()}
    assert {request.partition_key: request.tags[PLAYLIST_TAG] for request in result.run_requests} == names


def test_the_schedule_names_the_playlists_of_each_run_as_their_pages_recorded(instance):
    playlists = DemoSource().list_playlists()
    instance.add_dynamic_partitions("playlists", [playlist.id for playlist in playlists])
    for playlist in playlists:
        page = dg.AssetMaterialization(clusters_page.key, partition=playlist.id, metadata={"playlist": playlist.name})
        instance.report_runless_asset_event(page)
    when = datetime.datetime(2026, 12, 1, 6, tzinfo=datetime.UTC)
    requests = list(refresh_schedule(dg.build_schedule_context(instance=instance, scheduled_execution_time=when)))
    (playlist_run,) = [request for request in requests if PLAYLISTS_TAG in request.tags]
    listed = playlist_run.tags[PLAYLISTS_TAG]
    names = {playlist.id: playlist.name for playlist in playlists}
    first, second = instance.get_dynamic_partitions("playlists")[:2]
    assert listed.startswith(f"{names[first]}, {names[second]}, ")
