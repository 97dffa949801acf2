"""The index of the library: one row per playlist with its state, built from what the instance recorded."""

import re
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets.assets import ALL_ASSETS, ALL_CHECKS, PLAYLIST_ASSETS, clusters_page, playlists_index
from playlist_assets.assets.checks import broken_links
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.partitions import add_playlist_partitions, playlist_key
from playlist_assets.render.index import (
    FAILED,
    INDEX_HEADER,
    LEFT_OUT,
    NOT_CLUSTERED,
    PAGE_WRITTEN,
    IndexRow,
    render_index,
)
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import TWO_TRACKS
from playlist_assets_tests.conftest import demo_resources

FAILURE = "Spotify answered 403 Forbidden for this playlist"


class DemoSourceLeavingOut(DemoSource):
    """The demo library, as a source that left out a playlist the user follows but does not own."""

    def left_out_playlists(self) -> list[tuple[str, str]]:
        return [("Discover Weekly", "not owned or collaborative")]


def table_rows(index: str) -> list[list[str]]:
    """The cells of the index's table rows (after the header and the separator)."""
    lines = index.splitlines()
    start = lines.index(INDEX_HEADER) + 2
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])] for line in lines[start:] if line.startswith("|")]


def test_rows_are_sorted_by_name_and_equal_names_are_told_apart_by_key(tmp_path):
    rows = [
        IndexRow(name="mix", state=PAGE_WRITTEN, key="B" * 22),
        IndexRow(name="Mix", state=PAGE_WRITTEN, key="C" * 22),
        IndexRow(name="mix", state=PAGE_WRITTEN, key="A" * 22),
        IndexRow(name="Ambient", state=NOT_CLUSTERED, key="D" * 22, reason="1 track: too few to cluster"),
    ]
    names = [cells[0] for cells in table_rows(render_index(rows, tmp_path / "index.md"))]
    assert names == ["Ambient", "Mix", f"mix ({'A' * 22})", f"mix ({'B' * 22})"]


def test_names_and_reasons_are_escaped_and_pages_linked_relatively(tmp_path):
    page = tmp_path / "playlists" / "pipes_1234abcd" / "clusters.md"
    page.parent.mkdir(parents=True)
    page.write_text("# page\n", encoding="utf-8")
    rows = [
        IndexRow(name="Pipes | <b>[x]</b> 🎧 מי זאת", state=PAGE_WRITTEN, key="P" * 22, page=page, tracks=40, placed=39, k=3),
        IndexRow(name="Gone", state=FAILED, key="G" * 22, reason="a | b <i>", page=page),
    ]
    index_file = tmp_path / "index.md"
    index = render_index(rows, index_file)
    index_file.write_text(index, encoding="utf-8")
    gone, pipes = table_rows(index)
    assert pipes[0] == r"[Pipes \| &lt;b&gt;\[x\]&lt;/b&gt; 🎧 מי זאת](playlists/pipes_1234abcd/clusters.md)"
    assert pipes[1:5] == ["page written", "40", "3", "39 / 40"]
    assert gone[1] == "failed: a \\| b &lt;i&gt; (previous page kept)"
    assert all(len(cells) == 8 for cells in (gone, pipes))
    assert broken_links(index_file, tmp_path) == []


def test_the_clusters_column_names_each_cluster(tmp_path):
    row = IndexRow(
        name="Mix", state=PAGE_WRITTEN, key="M" * 22, k=2, separation="partly separated",
        cluster_names={2: "Acoustic & calm", 1: "Loud <b>"},
    )
    cells = table_rows(render_index([row], tmp_path / "index.md"))[0]
    assert cells[3] == "2, partly separated: #1 Loud &lt;b&gt;, #2 Acoustic & calm"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The demo library's International Pop and Two Tracks written, then International Pop failing, a partition never
    refreshed, and the index built (with its check) on a source that left out a playlist."""
    root = tmp_path_factory.mktemp("index")
    resources = demo_resources(root, DemoSourceLeavingOut())
    playlists = {playlist.name: playlist for playlist in DemoSource().list_playlists()}
    keys = {name: playlist_key(playlist) for name, playlist in playlists.items()}
    with dg.instance_for_test() as instance:
        add_playlist_partitions(instance, [playlists["International Pop"], playlists[TWO_TRACKS]])
        instance.add_dynamic_partitions("playlists", ["never_refreshed"])
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
        for name in ("International Pop", TWO_TRACKS):
            dg.materialize(ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=keys[name], instance=instance, resources=resources)
        instance.report_runless_asset_event(
            dg.AssetObservation(
                clusters_page.key,
                partition=keys["International Pop"],
                metadata={"playlist": "International Pop", "failed": FAILURE, "snapshot_id": "a newer snapshot"},
            )
        )
        result = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=[playlists_index], instance=instance, resources=resources)
        yield root / "output", result, keys


def test_the_index_shows_each_playlist_with_its_state(library):
    output, result, keys = library
    index = (output / "index.md").read_text(encoding="utf-8")
    rows = {cells[0]: cells for cells in table_rows(index)}
    pop = rows["[International Pop](playlists/international_pop_d8ae6175/clusters.md)"]
    assert pop[1] == f"failed: {FAILURE} (previous page kept)"
    assert [pop[2], pop[4]] == ["99", "99 / 99"]
    clusters, _, names = pop[3].partition(": ")
    assert clusters == "3, partly separated" and [name.split(" ")[0] for name in names.split(", #")] == ["#1", "2", "3"]
    two = next(cells for name, cells in rows.items() if name.startswith(f"[{TWO_TRACKS}]"))
    assert two[1] == "not clustered: 2 tracks: too few to cluster (at least 8 needed)"
    assert rows["Discover Weekly"][1] == "left out: not owned or collaborative"
    assert rows[r"never\_refreshed"][1] == "not refreshed yet"  # named by its key, escaped as every name
    assert list(rows) == sorted(rows, key=lambda cell: cell.strip("[").casefold())
    assert "4 playlists: not clustered: 1, failed: 1, left out: 1, not refreshed yet: 1." in index


def test_the_index_metadata_maps_partition_keys_to_names_and_states(library):
    _, result, keys = library
    (materialization,) = result.asset_materializations_for_node("playlists_index")
    table = materialization.metadata["playlists"].value
    by_key = {record.data["partition"]: record.data for record in table.records}
    assert keys["International Pop"] == "international_pop_d8ae6175"
    assert by_key[keys["International Pop"]]["playlist"] == "International Pop"
    assert by_key[keys["International Pop"]]["state"].startswith("failed: ")
    assert by_key[keys[TWO_TRACKS]]["page"].endswith("clusters.md")
    assert materialization.metadata["states"].value == {FAILED: 1, LEFT_OUT: 1, NOT_CLUSTERED: 1, "not refreshed yet": 1}


def test_the_index_check_passes_and_fails_on_a_broken_link(library, tmp_path):
    output, result, _ = library
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == "index_links_resolve" and check.passed
    page = next((output / "playlists").glob("two_tracks_*")) / "clusters.md"
    saved = page.read_bytes()
    page.unlink()
    try:
        assert broken_links(output / "index.md", output) == [str(Path("playlists", page.parent.name, "clusters.md"))]
    finally:
        page.write_bytes(saved)
