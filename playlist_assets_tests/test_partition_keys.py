"""Partition keys a person can read and type; a playlist's identity, history and pages follow its id through renames
and through the move from an instance whose partitions were keyed by id."""

import contextlib
import dataclasses
import io
import re
from pathlib import Path

import dagster as dg

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS, clusters_page, track_clusters
from playlist_assets.assets.index import library_rows
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, range_tags, refresh_job
from playlist_assets.model import Clustering, PlaylistInfo
from playlist_assets.partitions import add_playlist_partitions, playlist_ids, playlist_key
from playlist_assets.render import page_path, playlist_slug, scatter_path
from playlist_assets.render.index import NOT_REFRESHED, PAGE_WRITTEN
from playlist_assets.resources import OutputFolder
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import FOUR_GENRES
from playlist_assets.storage import PickleStore
from playlist_assets_tests.conftest import apply_partition_requests
from playlist_assets_tests.test_backfill import SMALL, SmallLibrary, definitions
from playlist_assets_tests.test_render import HOSTILE_NAMES, WORLD_NAMES

RENAMED = "Four Corners, Renamed"


class RenamingLibrary(SmallLibrary):
    """The small library with Four Corners renamed (its id and snapshot unchanged)."""

    def list_playlists(self):
        return [self._renamed(playlist) for playlist in super().list_playlists()]

    def fetch_playlist(self, playlist_id):
        tracks = super().fetch_playlist(playlist_id)
        return dataclasses.replace(tracks, playlist=self._renamed(tracks.playlist))

    def _renamed(self, playlist: PlaylistInfo) -> PlaylistInfo:
        return dataclasses.replace(playlist, name=RENAMED) if playlist.name == FOUR_GENRES else playlist


def refresh(instance, resources, source) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert cli.refresh(instance, definitions(resources, source)) == 0, printed.getvalue()
    return printed.getvalue()


def files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_keys_are_the_page_folders_readable_and_free_of_dagsters_partition_syntax(demo_playlists):
    assert playlist_key(demo_playlists["International Pop"]) == "international_pop_d8ae6175"
    names = [*HOSTILE_NAMES, *WORLD_NAMES, "", "...", "a, b", "[x]", "Pop " * 30]
    for number, name in enumerate(names):
        playlist = PlaylistInfo(id=f"{number:022d}", name=name, snapshot_id="")
        key = playlist_key(playlist)
        assert re.fullmatch(r"[a-z0-9_]{1,49}", key) and key == playlist_slug(playlist.id, name), (name, key)
    same_name = [PlaylistInfo(id=f"{n:022d}", name="Chill", snapshot_id="") for n in range(50)]
    assert len(set(map(playlist_key, same_name))) == 50


def test_a_rename_moves_the_playlist_to_a_new_key_and_its_page_and_history_follow_its_id(instance, resources, demo_playlists):
    playlist = demo_playlists[FOUR_GENRES]
    old_key, new_key = playlist_key(playlist), playlist_slug(playlist.id, RENAMED)
    refresh(instance, resources, SmallLibrary())
    output = Path(resources["output"].path)
    old_page = page_path(output, old_key)
    store = PickleStore(Path(resources["io_manager"].base_dir), instance)
    before: Clustering = store.stored_playlist_value(track_clusters.key, playlist.id)
    assert old_page.is_file() and before.k == 4

    printed = refresh(instance, resources, RenamingLibrary())

    assert f"{len(SMALL)} playlists (0 new, 0 removed, 1 under a new key)" in printed
    keys = instance.get_dynamic_partitions("playlists")
    assert new_key in keys and old_key not in keys and new_key == "four_corners_renamed_37c26a58"
    assert playlist_ids(instance, [new_key]) == {new_key: playlist.id}
    new_page = page_path(output, new_key)
    assert new_page.read_text(encoding="utf-8").startswith(f"# Clusters in {RENAMED}\n")
    assert not old_page.parent.exists() and not scatter_path(output, old_key).parent.parent.exists()
    after = store.stored_playlist_value(track_clusters.key, playlist.id)
    assert after.k == before.k and after.tracks.equals(before.tracks)  # stored under the id, whatever the key
    assert sorted(path.stem for path in (Path(resources["io_manager"].base_dir) / "track_clusters").iterdir()) == sorted(
        p.id for p in SmallLibrary().list_playlists()
    )
    [row] = [row for row in library_rows(instance) if row.key == new_key]
    assert (row.name, row.state, row.page) == (RENAMED, PAGE_WRITTEN, new_page)


def evaluate_sensor(instance, source, output: Path) -> dg.SensorResult:
    """One tick of the discovery sensor, its partition requests applied as the daemon would."""
    resources = {"source": source, "output": OutputFolder(path=str(output))}
    context = dg.build_sensor_context(instance=instance, resources=resources, definitions=project_definitions())
    return apply_partition_requests(instance, playlist_discovery_sensor(context))


def test_the_sensor_asks_a_renamed_playlists_run_under_its_new_key_and_the_index_keeps_its_page_until_then(
    instance, resources, demo_playlists
):
    playlists = [demo_playlists[name] for name in SMALL]
    keys = add_playlist_partitions(instance, playlists)
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    job = definitions(resources).resolve_job_def(refresh_job.name)
    assert job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys)).success
    output = Path(resources["output"].path)
    four = demo_playlists[FOUR_GENRES]
    old_key, new_key = playlist_key(four), playlist_slug(four.id, RENAMED)

    result = evaluate_sensor(instance, RenamingLibrary(), output)

    assert [(r.partition_key, r.run_key) for r in result.run_requests] == [(new_key, f"{new_key}:{four.snapshot_id}")]
    assert set(instance.get_dynamic_partitions("playlists")) == set(keys) - {old_key} | {new_key}
    assert page_path(output, old_key).is_file()  # the playlist is not gone: its page stays until rewritten
    rows = {row.key: row for row in library_rows(instance)}
    assert (rows[new_key].name, rows[new_key].page) == (FOUR_GENRES, page_path(output, old_key))

    renamed_job = definitions(resources, RenamingLibrary()).resolve_job_def(refresh_job.name)
    assert renamed_job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, partition_key=new_key).success
    assert not page_path(output, old_key).exists() and page_path(output, new_key).is_file()
    rows = {row.key: row for row in library_rows(instance)}
    assert (rows[new_key].name, rows[new_key].page) == (RENAMED, page_path(output, new_key))


def test_an_instance_keyed_by_id_moves_to_readable_keys_on_its_next_refresh_and_keeps_every_page(
    instance, resources, demo_playlists
):
    ids = [demo_playlists[name].id for name in SMALL]
    instance.add_dynamic_partitions("playlists", ids)  # as partitions were keyed before
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    job = definitions(resources).resolve_job_def(refresh_job.name)
    assert job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(ids)).success
    output = Path(resources["output"].path)
    before = files(output / "playlists") | files(output / "images")
    stored = sorted(path.name for path in (Path(resources["io_manager"].base_dir) / "track_clusters").iterdir())

    printed = refresh(instance, resources, SmallLibrary())

    assert f"{len(SMALL)} playlists (0 new, 0 removed, {len(SMALL)} under a new key)" in printed
    assert f"\n{len(SMALL)} pages written in " in printed
    keys = [playlist_key(demo_playlists[name]) for name in SMALL]
    assert sorted(instance.get_dynamic_partitions("playlists")) == sorted(keys)
    assert files(output / "playlists") | files(output / "images") == before  # the same pages, byte for byte
    assert sorted(path.name for path in (Path(resources["io_manager"].base_dir) / "track_clusters").iterdir()) == stored
    assert {row.key: (row.state != NOT_REFRESHED, row.page is not None) for row in library_rows(instance)} == dict.fromkeys(
        keys, (True, True)
    )


def test_the_sensor_moves_an_instance_keyed_by_id_without_removing_a_page_and_the_index_keeps_them(
    instance, demo_playlists, tmp_path
):
    instance.report_runless_asset_event(dg.AssetMaterialization(LIKED_KEYS[0]))
    playlists = list(demo_playlists.values())
    instance.add_dynamic_partitions("playlists", [playlist.id for playlist in playlists])
    for playlist in playlists:  # pages as they were recorded then: no playlist_id in their metadata
        page = page_path(tmp_path, playlist_key(playlist))
        page.parent.mkdir(parents=True)
        page.write_text("page")
        metadata = {"playlist": playlist.name, "path": dg.MetadataValue.path(str(page)), "snapshot_id": playlist.snapshot_id}
        instance.report_runless_asset_event(dg.AssetMaterialization(clusters_page.key, partition=playlist.id, metadata=metadata))

    result = evaluate_sensor(instance, DemoSource(), tmp_path)

    keys = sorted(map(playlist_key, playlists))
    assert sorted(instance.get_dynamic_partitions("playlists")) == keys
    assert sorted(request.partition_key for request in result.run_requests) == keys
    assert all(page_path(tmp_path, key).is_file() for key in keys)
    rows = library_rows(instance)
    assert sorted(row.key for row in rows) == keys
    assert all(row.page == page_path(tmp_path, row.key) for row in rows)
    assert playlist_ids(instance, keys) == {playlist_key(p): p.id for p in playlists}


@dg.asset(partitions_def=PLAYLIST_ASSETS[0].partitions_def)
def counted(context: dg.AssetExecutionContext) -> int:
    """Counts its materializations, reading its previous value by the playlist's id (as a clustering reads its own)."""
    [playlist_id] = playlist_ids(context.instance, [context.partition_key]).values()
    previous = context.resources.io_manager.stored_playlist_value(context.asset_key, playlist_id)
    return (previous or 0) + 1


def test_a_playlists_stored_values_follow_its_id_through_a_rename(instance, resources, tmp_path):
    before = PlaylistInfo(id="37i9dQZF1DX4JAvHpjipBk", name="Before", snapshot_id="")
    after = dataclasses.replace(before, name="After")
    io_manager = {"io_manager": resources["io_manager"]}
    [old_key] = add_playlist_partitions(instance, [before])
    assert dg.materialize([counted], partition_key=old_key, instance=instance, resources=io_manager).output_for_node("counted") == 1
    [new_key] = add_playlist_partitions(instance, [after])
    assert dg.materialize([counted], partition_key=new_key, instance=instance, resources=io_manager).output_for_node("counted") == 2
    assert [path.name for path in (Path(resources["io_manager"].base_dir) / "counted").iterdir()] == [f"{before.id}.pkl"]
