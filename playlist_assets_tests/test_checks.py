"""The blocking checks on every page: its links resolve, its scatter is a PNG, it lists every track of raw_tracks."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS, clusters_page
from playlist_assets.assets.checks import PAGE_CHECK_SPECS, broken_links, count_problems, scatter_problems
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, range_tags, refresh_job
from playlist_assets.partitions import add_playlist_partitions, playlist_key
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import FOUR_GENRES, TWO_TRACKS
from playlist_assets_tests.conftest import demo_resources
from playlist_assets_tests.test_backfill import SmallLibrary

project_defs = project_definitions()

CHECKS = {"page_links_resolve", "scatter_is_a_png", "page_lists_every_track"}


def definitions(resources) -> dg.Definitions:
    return dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources)


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory):
    """International Pop (clustered) and a playlist too small to cluster, each in a run of its own, with the checks."""
    root = tmp_path_factory.mktemp("checked")
    resources = demo_resources(root)
    playlists = {playlist.name: playlist for playlist in DemoSource().list_playlists()}
    with dg.instance_for_test() as instance:
        add_playlist_partitions(instance, [playlists["International Pop"], playlists[TWO_TRACKS]])
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
        yield {
            name: dg.materialize(
                ALL_ASSETS,
                selection=PLAYLIST_ASSETS,
                partition_key=playlist_key(playlists[name]),
                instance=instance,
                resources=resources,
            )
            for name in ("International Pop", TWO_TRACKS)
        }


@pytest.fixture
def pop_output(single_runs, tmp_path) -> tuple[Path, Path, dg.ExecuteInProcessResult]:
    """A copy of International Pop's output folder to break: the folder, the page in it, and the run."""
    run = single_runs["International Pop"]
    original = Path(run.output_for_node("clusters_page"))
    root = tmp_path / "output"
    shutil.copytree(original.parents[2], root)
    return root, root / original.relative_to(original.parents[2]), run


def test_the_checks_are_blocking_and_run_with_every_page_of_the_project():
    assert {spec.name for spec in PAGE_CHECK_SPECS} == CHECKS
    assert all(spec.blocking and spec.partitions_def is not None for spec in PAGE_CHECK_SPECS)
    keys = {key.name for key in project_defs.resolve_job_def(refresh_job.name).asset_layer.asset_graph.asset_check_keys}
    assert keys == CHECKS | {"index_links_resolve"}


@pytest.mark.parametrize("name", ["International Pop", TWO_TRACKS])
def test_a_run_of_one_playlist_passes_every_check_on_its_partition(single_runs, name):
    run = single_runs[name]
    checked = evaluations(run)
    assert set(checked) == CHECKS
    assert all(evaluation.passed for evaluation in checked.values())
    assert {evaluation.partition for evaluation in checked.values()} == {run.dagster_run.tags["dagster/partition"]}


def test_a_link_to_a_missing_file_outside_the_folder_or_not_on_the_web_is_broken(pop_output):
    root, page, _ = pop_output
    assert broken_links(page, root) == []
    (root.parent / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with page.open("a", encoding="utf-8") as text:
        text.write("[gone](../gone.md) [out](../../../outside.png) [js](javascript:alert%281%29)\n")
        text.write('<img src="../../nowhere.png" /> [web](https://open.spotify.com/x) escaped\\](not-a-link)\n')
    broken = ["../gone.md", "../../../outside.png", "javascript:alert(1)", "../../nowhere.png"]
    assert broken_links(page, root) == broken


def test_a_clustered_page_needs_its_scatter_shown_and_a_png(pop_output, single_runs):
    root, page, run = pop_output
    assert run.output_for_node("track_clusters").clustered and scatter_problems(page, clustered=True) == []
    [image] = root.rglob("clusters_scatter.png")
    image.write_bytes(b"GIF89a...")
    assert scatter_problems(page, clustered=True) == [f"the scatter {image} is not a PNG"]
    image.unlink()
    assert scatter_problems(page, clustered=True) == [f"no scatter image at {image}"]
    page.write_text("\n".join(line for line in page.read_text().splitlines() if not line.startswith("![")))
    assert scatter_problems(page, clustered=True) == ["the playlist was clustered but its page shows no scatter"]
    too_small = Path(single_runs[TWO_TRACKS].output_for_node("clusters_page"))
    assert scatter_problems(too_small, clustered=False) == []


def test_a_page_must_list_as_many_tracks_as_raw_tracks_has(pop_output, single_runs):
    root, page, run = pop_output
    tracks = run.output_for_node("raw_tracks")
    assert len(tracks.tracks) == 99 and count_problems(page, tracks) == []
    lines = page.read_text(encoding="utf-8").splitlines()
    last_row = max(number for number, line in enumerate(lines) if line.startswith("| <img"))
    page.write_text("\n".join(lines[:last_row] + lines[last_row + 1 :]), encoding="utf-8")
    assert count_problems(page, tracks) == ["the page lists 98 tracks, the playlist has 99"]
    too_small = single_runs[TWO_TRACKS]
    page_file = Path(too_small.output_for_node("clusters_page"))
    assert len(too_small.output_for_node("raw_tracks").tracks) == 2
    assert count_problems(page_file, too_small.output_for_node("raw_tracks")) == []


def check_statuses(instance, keys) -> dict[tuple[str, str], str]:
    """(check, partition) -> the status the UI shows on that partition: its latest execution's, when that execution
    checked the partition's latest page; otherwise "MISSING" (how the UI's partition view resolves it)."""
    infos = instance.event_log_storage.get_asset_check_partition_info(
        [dg.AssetCheckKey(clusters_page.key, name) for name in CHECKS]
    )
    return {
        (info.check_key.name, info.partition_key): info.latest_execution_status.value if info.is_current else "MISSING"
        for info in infos
        if info.partition_key in keys
    }


def test_a_run_over_several_playlists_records_each_checks_result_on_each_playlist(
    instance, resources, demo_playlists, monkeypatch
):
    keys = add_playlist_partitions(instance, [demo_playlists[FOUR_GENRES], demo_playlists[TWO_TRACKS]])
    job = definitions(resources).resolve_job_def(refresh_job.name)
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    run = job.execute_in_process(instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys))
    checked = {(e.check_name, e.partition): e for e in run.get_asset_check_evaluations()}
    assert set(checked) == {(name, key) for name in CHECKS for key in keys}
    assert all(evaluation.passed for evaluation in checked.values())
    assert set(check_statuses(instance, keys).values()) == {"SUCCEEDED"}  # not "Skipped"

    monkeypatch.setattr("playlist_assets.writers.files.render_scatter", lambda *_: b"GIF89a...")
    rerun = job.execute_in_process(
        instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys), raise_on_error=False
    )

    assert not rerun.success
    checked = {(e.check_name, e.partition): e for e in rerun.get_asset_check_evaluations()}
    failed = {check for check, evaluation in checked.items() if not evaluation.passed}
    assert failed == {("scatter_is_a_png", keys[0])}  # the playlist too small to cluster has no scatter
    assert checked["scatter_is_a_png", keys[0]].description.endswith("clusters_scatter.png is not a PNG")
    assert checked["scatter_is_a_png", keys[0]].metadata["playlist"].value == FOUR_GENRES
    statuses = check_statuses(instance, keys)
    assert statuses.pop(("scatter_is_a_png", keys[0])) == "FAILED" and set(statuses.values()) == {"SUCCEEDED"}
    [failure] = rerun.get_step_failure_events()
    assert "1 blocking asset check failed" in failure.step_failure_data.error.message


def test_a_playlist_that_failed_gets_no_passing_check(instance, resources, demo_playlists):
    keys = add_playlist_partitions(instance, [demo_playlists[FOUR_GENRES], demo_playlists[TWO_TRACKS]])
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    job = definitions({**resources, "source": SmallLibrary(broken=TWO_TRACKS)}).resolve_job_def(refresh_job.name)
    run = job.execute_in_process(
        instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys), raise_on_error=False
    )
    assert not run.success
    assert {e.partition for e in run.get_asset_check_evaluations()} == {keys[0]}
    statuses = check_statuses(instance, keys)
    assert {statuses[name, keys[0]] for name in CHECKS} == {"SUCCEEDED"}
    assert {statuses[name, keys[1]] for name in CHECKS} == {"PLANNED"}  # the UI: not executed, in a failed run
