"""The maps in the asset graph: clusters_map beside each page and linked from it, library_map from every playlist's
stored values and linked from the index, the shared script written once, and the command line's refresh."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import dagster as dg

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS, ALL_CHECKS, clusters_map, clusters_page, library_map, playlists_index
from playlist_assets.render.markdown import MAP_LINK_TEXT, SCATTER_ALT
from playlist_assets.render.maps import SHARED_SCRIPT_NAME
from playlist_assets.render.index import LIBRARY_MAP_TEXT
from playlist_assets.sources.demo_library import FOUR_GENRES, INTERNATIONAL_POP, TWO_TRACKS
from playlist_assets.writers.files import write_shared_script
from playlist_assets_tests.test_assets import materialize_playlist, metadata
from playlist_assets_tests.test_backfill import SmallLibrary, definitions

SCRIPT_TAG = re.compile(r'<script src="([^"]+)"></script>')


def script_of(map_file: Path) -> Path:
    """The shared script a map loads, by its relative link."""
    [link] = SCRIPT_TAG.findall(map_file.read_text(encoding="utf-8"))
    return (map_file.parent / link).resolve()


def test_a_clustered_playlist_gets_its_map_beside_its_page_linked_under_the_scatter(instance, resources, demo_playlists):
    result = materialize_playlist(instance, resources, demo_playlists[INTERNATIONAL_POP])
    output = Path(resources["output"].path)
    page, map_file = Path(result.output_for_node("clusters_page")), Path(result.output_for_node("clusters_map"))
    assert map_file == page.with_name("map.html") and metadata(result, "clusters_map")["path"] == str(map_file)
    assert script_of(map_file) == output / SHARED_SCRIPT_NAME and (output / SHARED_SCRIPT_NAME).stat().st_size > 10**6
    lines = page.read_text(encoding="utf-8").splitlines()
    scatter = next(i for i, line in enumerate(lines) if line.startswith(f"![{SCATTER_ALT}]("))
    assert lines[scatter + 2] == f"[{MAP_LINK_TEXT}](map.html)"
    checks = {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}
    assert checks["page_links_resolve"] and all(checks.values())
    assert "Four Corners" not in map_file.read_text(encoding="utf-8")  # one playlist's tracks only


def test_a_playlist_not_clustered_has_no_map_and_loses_a_stale_one(instance, resources, demo_playlists):
    playlist = demo_playlists[TWO_TRACKS]
    result = materialize_playlist(instance, resources, playlist)
    page = Path(result.output_for_node("clusters_page"))
    page.with_name("map.html").write_text("an earlier map", encoding="utf-8")
    result = materialize_playlist(instance, resources, playlist)
    assert result.output_for_node("clusters_map") is None and not page.with_name("map.html").exists()
    assert metadata(result, "clusters_map")["map"].startswith("none: 2 tracks: too few to cluster")
    assert MAP_LINK_TEXT not in page.read_text(encoding="utf-8")


def test_the_shared_script_is_written_once(tmp_path):
    script = write_shared_script(tmp_path)
    script.write_bytes(b"kept")
    assert write_shared_script(tmp_path) == script and script.read_bytes() == b"kept"


def test_the_library_map_shows_every_clustered_playlist_and_the_index_links_it(instance, resources, demo_playlists):
    for name in (INTERNATIONAL_POP, FOUR_GENRES, TWO_TRACKS):
        materialize_playlist(instance, resources, demo_playlists[name])
    instance.add_dynamic_partitions("playlists", ["never_refreshed"])
    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS], selection=[library_map, playlists_index], instance=instance, resources=resources
    )
    output = Path(resources["output"].path)
    assert metadata(result, "library_map")["path"] == str(output / "map.html")
    assert metadata(result, "library_map")["playlists"] == 2  # Two Tracks is not clustered; never_refreshed has no values
    text = (output / "map.html").read_text(encoding="utf-8")
    assert "Every playlist on one map: 179 tracks of 2 playlists" in text and script_of(output / "map.html").is_file()
    assert f"[{LIBRARY_MAP_TEXT}](map.html)" in (output / "index.md").read_text(encoding="utf-8")
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "index_links_resolve" and check.passed


def test_an_index_built_before_any_library_map_does_not_link_one(instance, resources, demo_playlists):
    materialize_playlist(instance, resources, demo_playlists[INTERNATIONAL_POP])
    dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=[playlists_index], instance=instance, resources=resources)
    assert LIBRARY_MAP_TEXT not in (Path(resources["output"].path) / "index.md").read_text(encoding="utf-8")


def test_refresh_builds_the_library_map_and_the_maps_of_pages_written_before_the_maps(instance, resources):
    def refresh() -> str:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            assert cli.refresh(instance, definitions(resources, SmallLibrary())) == 0
        return printed.getvalue()

    output = Path(resources["output"].path)
    printed = refresh()
    assert f"Map of the library: {output / 'map.html'}" in printed
    maps = sorted(output.glob("playlists/*/map.html"))
    assert len(maps) == 3  # Four Corners, All Alike, Odds & Ends; Two Tracks and Empty are not clustered
    instance.wipe_assets([clusters_map.key])  # as an instance whose pages were written before the maps
    for map_file in maps:
        map_file.unlink()
    printed = refresh()
    runs = instance.get_runs(limit=3)
    assert runs[1].asset_selection == {clusters_map.key, clusters_page.key}  # no fetch, no clustering
    assert sorted(output.glob("playlists/*/map.html")) == maps and "\n5 pages written in " in printed
    assert all(MAP_LINK_TEXT in map_file.with_name("clusters.md").read_text(encoding="utf-8") for map_file in maps)
    assert "5 unchanged" in refresh()  # then they are up to date
