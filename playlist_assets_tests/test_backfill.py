"""Backfill runs over several playlists, the command line's incremental refresh, the pool and the run queue."""

import contextlib
import dataclasses
import functools
import io
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.storage.partition_status_cache import AssetPartitionStatus

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS, clusters_page
from playlist_assets.assets.settings import PARTITIONS_PER_RUN
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, partition_ranges, range_tags, refresh_job
from playlist_assets.partitions import add_playlist_partitions, playlist_key, playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import ALL_ALIKE, EMPTY, FOUR_GENRES, ODDS_AND_ENDS, TWO_TRACKS
from playlist_assets_tests.postgres import ON_BOTH_STORAGES

project_defs = project_definitions()

PROJECT = Path(__file__).resolve().parents[1]
SMALL = [FOUR_GENRES, ALL_ALIKE, ODDS_AND_ENDS, TWO_TRACKS, EMPTY]


class SmallLibrary(DemoSource):
    """A few small demo playlists; ``changed`` gets a new snapshot id, ``unliked`` leaves Liked Songs,
    ``broken`` cannot be read."""

    changed: str = ""
    unliked: str = ""
    broken: str = ""

    def list_playlists(self):
        return [self._snapshot(p) for p in super().list_playlists() if p.name in SMALL]

    def fetch_playlist(self, playlist_id):
        tracks = super().fetch_playlist(playlist_id)
        if tracks.playlist.name == self.broken:
            raise ValueError(f"playlist {playlist_id}: the source answered nonsense")
        return dataclasses.replace(tracks, playlist=self._snapshot(tracks.playlist))

    def _snapshot(self, playlist):
        return dataclasses.replace(playlist, snapshot_id="new") if playlist.name == self.changed else playlist

    def liked_track_ids(self):
        return super().liked_track_ids() - {self.unliked}


def definitions(resources, source=None) -> dg.Definitions:
    return dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources={**resources, "source": source or SmallLibrary()})


def run_range(instance, resources, keys, **kwargs) -> dg.ExecuteInProcessResult:
    job = definitions(resources).resolve_job_def(refresh_job.name)
    return job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys), **kwargs)


def page_events(result) -> dict[str, dict]:
    return {
        event.partition: {key: value.value for key, value in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
        if event.asset_key == clusters_page.key
    }


@pytest.fixture
def small_playlists(instance, resources, demo_playlists):
    """The SMALL playlists registered as partitions, in that order, with Liked Songs materialized."""
    keys = add_playlist_partitions(instance, [demo_playlists[name] for name in SMALL])
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    return keys


@ON_BOTH_STORAGES
def test_one_run_over_several_playlists_writes_the_pages_a_run_per_playlist_writes(instance, resources, small_playlists, tmp_path):
    result = run_range(instance, resources, small_playlists)
    assert result.success
    pages = result.output_for_node("clusters_page")
    assert sorted(pages) == sorted(small_playlists)
    metadata = page_events(result)
    assert metadata[small_playlists[0]]["coverage"] == "80 of 80 tracks placed"
    assert metadata[small_playlists[0]]["k"] >= 2
    listed = {playlist_key(p): p.snapshot_id for p in SmallLibrary().list_playlists()}
    assert {key: m["snapshot_id"] for key, m in metadata.items()} == listed
    assert all(m["page"].startswith("# Clusters in ") for m in metadata.values())  # the preview, in a backfill too

    single_resources = {**resources, "output": OutputFolder(path=str(tmp_path / "single"))}
    single = dg.materialize(
        ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=small_playlists[0], instance=instance, resources=single_resources
    )
    assert Path(single.output_for_node("clusters_page")).read_bytes() == Path(pages[small_playlists[0]]).read_bytes()
    scatter = Path(single.output_for_node("clusters_scatter"))
    assert scatter.read_bytes() == Path(result.output_for_node("clusters_scatter")[small_playlists[0]]).read_bytes()


def test_a_failing_playlist_fails_alone_and_keeps_its_page_while_the_others_of_its_run_are_written(
    instance, resources, small_playlists, demo_playlists
):
    first = run_range(instance, resources, small_playlists)
    broken = small_playlists[SMALL.index(ALL_ALIKE)]
    broken_id = demo_playlists[ALL_ALIKE].id
    page, image = (Path(first.output_for_node(asset)[broken]) for asset in ("clusters_page", "clusters_scatter"))
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (page, image)}

    job = definitions(resources, SmallLibrary(broken=ALL_ALIKE)).resolve_job_def(refresh_job.name)
    result = job.execute_in_process(
        instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(small_playlists), raise_on_error=False
    )

    assert not result.success  # so that the backfill, the run and "re-execute" see the failure
    good = [key for key in small_playlists if key != broken]
    assert sorted(page_events(result)) == sorted(good)
    [failure] = result.get_step_failure_events()
    message = failure.step_failure_data.error.message
    assert failure.step_key == "clusters_page" and "1 of 5 playlists failed" in message
    assert f"({broken}): playlist {broken_id}: the source answered nonsense" in message
    observed = [e for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_OBSERVATION]
    assert [(e.asset_key, e.partition) for e in observed] == [(clusters_page.key, broken)]
    metadata = observed[0].asset_observation_data.asset_observation.metadata
    assert metadata["failed"].value == f"playlist {broken_id}: the source answered nonsense"
    assert metadata["playlist"].value == "" and metadata["snapshot_id"].value == ""
    status = instance.get_status_by_partition(clusters_page.key, small_playlists, playlist_partitions)
    assert status == {key: AssetPartitionStatus.FAILED if key == broken else AssetPartitionStatus.MATERIALIZED for key in small_playlists}
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (page, image)} == before
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert f"Playlist {broken} failed in raw_tracks: playlist {broken_id}: the source answered nonsense" in logged
    raw = dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_tracks"), asset_partitions=[broken])
    [record] = instance.fetch_materializations(raw, limit=1).records
    assert record.asset_materialization.metadata["failed"].value.endswith("the source answered nonsense")

    # Its stored values stay the last good ones: a run of the pages alone (as for new hearts) writes all five.
    pages_only = job.execute_in_process(
        instance=instance, asset_selection=[clusters_page.key], tags=range_tags(small_playlists)
    )
    assert sorted(page_events(pages_only)) == sorted(small_playlists)


def test_partition_ranges_are_consecutive_wanted_keys_split_at_the_run_size():
    order = list("abcdefgh")
    assert partition_ranges(order, set("abcdfgh"), size=2) == [["a", "b"], ["c", "d"], ["f", "g"], ["h"]]
    assert partition_ranges(order, set(), size=2) == []
    assert partition_ranges(order, set(order), size=100) == [order]


@ON_BOTH_STORAGES
def test_refresh_materializes_only_new_and_changed_playlists(instance, resources, demo_playlists):
    def refresh(source, everything=False) -> tuple[int, str]:
        runs = len(instance.get_runs())
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            assert cli.refresh(instance, definitions(resources, source), everything=everything) == 0
        return len(instance.get_runs()) - runs, printed.getvalue()

    runs, printed = refresh(SmallLibrary())
    assert runs == 3  # Liked Songs, then one run over the five playlists, then the index
    assert f"  {FOUR_GENRES} (4 clusters): " in printed and printed.endswith(" s\n") and "\n5 pages written in " in printed

    runs, printed = refresh(SmallLibrary())
    assert runs == 1 and "\n0 pages written in " in printed and "5 unchanged" in printed  # Liked Songs, read once

    runs, printed = refresh(SmallLibrary(changed=ALL_ALIKE))
    assert runs == 3 and f"  {ALL_ALIKE} (1 cluster): " in printed and "\n1 pages written in " in printed

    four_genres = demo_playlists[FOUR_GENRES].id
    page = Path(resources["output"].path).glob("playlists/*/clusters.md")
    hearts = {path.parent.name: path.read_text(encoding="utf-8").count("💚") for path in page}
    liked = DemoSource().liked_track_ids() & set(DemoSource().fetch_playlist(four_genres).tracks.index)
    runs, printed = refresh(SmallLibrary(changed=ALL_ALIKE, unliked=min(liked)))
    assert runs == 3  # Liked Songs, then the pages (only) of every playlist, then the index
    assert instance.get_runs(limit=2)[1].asset_selection == {clusters_page.key}
    assert "\n5 pages written in " in printed
    [four_genres_page] = [name for name in hearts if name.startswith("four_corners")]
    after = (Path(resources["output"].path) / "playlists" / four_genres_page / "clusters.md").read_text(encoding="utf-8")
    assert after.count("💚") == hearts[four_genres_page] - 1

    runs, printed = refresh(SmallLibrary(changed=ALL_ALIKE, unliked=min(liked)), everything=True)
    assert runs == 3 and "\n5 pages written in " in printed


@ON_BOTH_STORAGES
def test_every_demo_playlist_in_runs_of_two_gets_its_page_once(instance, resources, demo_playlists, monkeypatch):
    monkeypatch.setattr(cli, "partition_ranges", functools.partial(partition_ranges, size=2))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.refresh(instance, definitions(resources, DemoSource())) == 0
    runs = instance.get_runs()
    assert len(runs) == 1 + -(-len(demo_playlists) // 2) + 1  # Liked Songs, the playlists two by two, the index
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
    order = instance.get_dynamic_partitions("playlists")
    covered = []
    for run in reversed(runs[1:-1]):  # runs come newest first: the index, the playlists, Liked Songs
        start = run.tags.get("dagster/asset_partition_range_start", run.tags.get("dagster/partition"))
        end = run.tags.get("dagster/asset_partition_range_end", start)
        covered += order[order.index(start) : order.index(end) + 1]
    assert covered == order and sorted(order) == sorted(map(playlist_key, demo_playlists.values()))
    materialized = instance.get_materialized_partitions(clusters_page.key)
    assert materialized == set(order)
    assert len(list(Path(resources["output"].path).glob("playlists/*/clusters.md"))) == len(demo_playlists)


def test_refresh_writes_every_other_page_in_the_same_run_and_names_the_failing_playlist(instance, resources, capsys):
    assert cli.refresh(instance, definitions(resources, SmallLibrary(broken=ALL_ALIKE))) == 1
    printed = capsys.readouterr()
    assert "\n4 pages written, 1 failed in " in printed.out and f"  {FOUR_GENRES} (4 clusters): " in printed.out
    assert f"  {ALL_ALIKE} (" in printed.err and "): FAILED: playlist " in printed.err
    assert "the source answered nonsense" in printed.err and "Stack Trace" not in printed.err + printed.out
    runs = instance.get_runs()
    assert len(runs) == 3  # Liked Songs, one run over the five (no run again one playlist at a time), the index
    assert [run.status for run in runs].count(dg.DagsterRunStatus.FAILURE) == 1

    assert cli.refresh(instance, definitions(resources, SmallLibrary())) == 0  # the next refresh retries it
    printed = capsys.readouterr()
    assert f"  {ALL_ALIKE} (1 cluster): " in printed.out and "\n1 pages written in " in printed.out


def test_assets_backfill_in_bounded_runs_and_calls_to_services_share_a_pool():
    graph = project_defs.resolve_asset_graph()
    for asset in PLAYLIST_ASSETS:
        policy = graph.get(asset.key).backfill_policy
        assert policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=PARTITIONS_PER_RUN)
    pools = {asset.key.to_user_string(): asset.op.pool for asset in ALL_ASSETS}
    assert pools == {
        "liked_tracks": "spotify_api",
        "raw_tracks": "spotify_api",
        "track_features": "spotify_api",
        "track_clusters": None,
        "clusters_scatter": None,
        "clusters_map": None,
        "clusters_page": None,
        "library_map": None,
        "playlists_index": None,
    }


def test_runs_execute_their_steps_in_the_run_process():
    jobs = [project_defs.resolve_implicit_global_asset_job_def(), project_defs.resolve_job_def(refresh_job.name)]
    assert [job.executor_def for job in jobs] == [dg.in_process_executor, dg.in_process_executor]


def test_shipped_instance_settings_limit_the_run_queue_and_the_pool(tmp_path):
    settings = yaml.safe_load((PROJECT / "dagster.yaml").read_text())
    assert settings["concurrency"]["runs"]["max_concurrent_runs"] == 2
    assert settings["concurrency"]["pools"]["default_limit"] == 1
    assert "run_coordinator" not in settings  # the run queue is limited in one place only
    (tmp_path / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
