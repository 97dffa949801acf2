"""The interactive maps as HTML: what they load, the data and colours they carry, names kept as data, the library
projection. What a browser makes of them is in test_maps_browser.py."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import html
import json
import re
from functools import cache

import bokeh
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from playlist_assets.analysis import cluster_features, cluster_tracks
from playlist_assets.analysis.library_projection import placed_clusters, project_library
from playlist_assets.features import DemoFeatures
from playlist_assets.render.maps import (
    MappedPlaylist,
    render_library_map,
    render_playlist_map,
    shared_script,
)
from playlist_assets.render.scatter import cluster_colours
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import FOUR_GENRES, INTERNATIONAL_POP
from playlist_assets_tests.test_hostile_input import HOSTILE_NAMES
from playlist_assets_tests.test_render import WORLD_NAMES

SCRIPT_SRC = "../../bokeh-test.min.js"


@cache
def demo(name: str) -> MappedPlaylist:
    source = DemoSource()
    [info] = [playlist for playlist in source.list_playlists() if playlist.name == name]
    tracks = source.fetch_playlist(info.id).tracks
    features = DemoFeatures().features(tracks)
    return MappedPlaylist(info.display_name, tracks, features, cluster_features(features))


def named(playlist: MappedPlaylist, names: dict[int, str]) -> MappedPlaylist:
    """The playlist with its clusters given ``names``."""
    return playlist._replace(clustering=dataclasses.replace(playlist.clustering, names=names))


def playlist_map(playlist: MappedPlaylist, names=None, title=None) -> str:
    playlist = named(playlist, names) if names else playlist
    return render_playlist_map(playlist.tracks, playlist.features, playlist.clustering, title or playlist.name, SCRIPT_SRC)


def bokeh_objects(page: str) -> dict[str, dict]:
    """Every Bokeh model the page embeds, by id, read back as BokehJS reads it."""
    [embedded] = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S)
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "attributes" in node:
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(html.unescape(embedded)))
    return found


def of_type(objects: dict[str, dict], name: str) -> list[dict]:
    return [obj for obj in objects.values() if obj["name"] == name]


def source_data(objects: dict[str, dict]) -> dict[str, list | np.ndarray]:
    """The one data source's columns: strings as lists, numbers as arrays."""
    [source] = of_type(objects, "ColumnDataSource")
    columns = {}
    for name, value in source["attributes"]["data"]["entries"]:
        if isinstance(value, dict) and value.get("type") == "ndarray":
            raw = base64.b64decode(value["array"]["data"])
            columns[name] = np.frombuffer(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw, dtype=value["dtype"])
        else:
            columns[name] = value
    return columns


def fill_colour(objects: dict[str, dict], renderer: dict) -> str | dict:
    glyph = renderer["attributes"]["glyph"]
    return objects[glyph["id"]]["attributes"]["fill_color"]


def test_the_shared_script_is_bokehjs_and_its_widgets_from_the_wheel():
    name, script = shared_script()
    assert name == f"bokeh-{bokeh.__version__}.min.js"
    folder = bokeh.util.paths.bokehjs_path() / "js"
    for bundle in ("bokeh.min.js", "bokeh-widgets.min.js"):
        assert (folder / bundle).read_bytes() in script


@pytest.mark.parametrize("which", ["playlist", "library"])
def test_a_map_loads_nothing_but_the_shared_script_by_its_relative_link(which):
    pop = demo(INTERNATIONAL_POP)
    page = playlist_map(pop) if which == "playlist" else render_library_map([pop], SCRIPT_SRC)
    assert re.findall(r"<script[^>]*\ssrc=\"([^\"]*)\"", page) == [SCRIPT_SRC]
    assert not re.search(r"<link\b|\bsrc=\"http|\bhref=\"http|@import|url\(", page)
    assert "cdn.bokeh.org" not in page


def test_a_playlist_map_has_every_placed_track_in_its_scatter_colours_and_a_legend_entry_per_cluster():
    playlist = demo(INTERNATIONAL_POP)
    clustering = playlist.clustering
    objects = bokeh_objects(playlist_map(playlist, names={2: "Slow & sad"}))
    data = source_data(objects)
    placed = placed_clusters(clustering)
    assert data["name"] == playlist.tracks.loc[placed.index, "name"].tolist()
    assert np.allclose(data["x"], clustering.tracks.loc[placed.index, "x"])
    assert data["spotify_id"] == [i if i in ids_with_links(playlist) else "" for i in placed.index]
    assert data["cluster"] == [f"{c} · Slow & sad" if c == 2 else str(c) for c in placed]
    items = of_type(objects, "LegendItem")
    assert len(items) == clustering.k >= 2
    for cluster, item in enumerate(items, start=1):
        size = int((placed == cluster).sum())
        name = ": Slow & sad" if cluster == 2 else ""
        assert item["attributes"]["label"]["value"] == f"Cluster {cluster}{name} ({size} tracks)"
        [renderer] = item["attributes"]["renderers"]
        colour = fill_colour(objects, objects[renderer["id"]])
        assert colour["value"] == to_hex(cluster_colours(clustering)[cluster])
    [legend] = of_type(objects, "Legend")
    assert legend["attributes"]["click_policy"] == "hide"


def ids_with_links(playlist: MappedPlaylist) -> set[str]:
    urls = playlist.tracks["url"]
    return set(urls.index[urls.str.startswith("https://open.spotify.com/track/")])


def test_the_hover_names_the_track_its_artists_cluster_and_feature_values():
    playlist = demo(FOUR_GENRES)
    objects = bokeh_objects(playlist_map(playlist))
    [hover] = of_type(objects, "HoverTool")
    tooltips = hover["attributes"]["tooltips"]
    assert tooltips[:3] == [["Track", "@name"], ["Artists", "@artists"], ["Cluster", "@cluster"]]
    columns = playlist.clustering.feature_columns
    assert [label for label, _ in tooltips[3:]] == [column.replace("_", " ") for column in columns]
    assert "@{value7}{0} BPM" in dict(tooltips)["tempo"]
    data = source_data(objects)
    placed = placed_clusters(playlist.clustering).index
    for number, column in enumerate(columns):
        assert np.allclose(data[f"value{number}"], playlist.features.loc[placed, column], atol=1e-4)
    assert data["artists"][0] == ", ".join(playlist.tracks.loc[placed[0], "artists"])


def with_names(playlist: MappedPlaylist, names: list[str]) -> MappedPlaylist:
    """The playlist with its tracks and their first artists named from ``names`` in turn."""
    tracks = playlist.tracks.copy()
    tracks["name"] = [names[i % len(names)] for i in range(len(tracks))]
    tracks["artists"] = [(names[(i + 1) % len(names)], "x") for i in range(len(tracks))]
    return playlist._replace(tracks=tracks)


@pytest.mark.parametrize("names", [HOSTILE_NAMES, WORLD_NAMES], ids=["hostile", "world"])
def test_names_are_data_in_the_page_and_come_back_exactly(names):
    playlist = with_names(demo(FOUR_GENRES), names)
    title = "</script><script>alert(1)</script> <img src=x onerror=alert(1)> \u2028\u2029 'quotes\" 🎧"
    one = playlist_map(playlist, names={2: "</script>"}, title=title)
    library = render_library_map([playlist._replace(name=title)], SCRIPT_SRC)
    [shown_title] = re.findall(r"<title>([^<]*)</title>", one)
    assert html.unescape(shown_title) == f"Map of {title}"
    for page in (one, library):
        assert "<img" not in page and "<script>alert" not in page
        assert page.count("</script>") == page.count("<script")  # no name closes a script
        data = source_data(bokeh_objects(page))
        assert set(data["name"]) == set(names) and {artists.split(", ")[0] for artists in data["artists"]} == set(names)
    objects = bokeh_objects(one)
    assert "2 · </script>" in source_data(objects)["cluster"]
    [shown] = of_type(objects, "Title")
    assert shown["attributes"]["text"] == f"Clusters in {title}"
    assert title in source_data(bokeh_objects(library))["playlists"][0]


def test_a_playlist_that_was_not_clustered_has_no_map():
    playlist = demo(INTERNATIONAL_POP)
    few = playlist.features.iloc[:3]
    with pytest.raises(ValueError, match="only a clustered playlist has a map"):
        render_playlist_map(playlist.tracks, few, cluster_features(few), "x", SCRIPT_SRC)


def test_a_100_track_map_is_at_most_150_kb():
    playlist = demo(INTERNATIONAL_POP)
    assert len(playlist.tracks) >= 99
    assert len(playlist_map(playlist).encode()) <= 150_000


def test_the_library_projection_is_one_standardisation_of_every_placed_track():
    pop, corners = demo(INTERNATIONAL_POP), demo(FOUR_GENRES)
    projection = project_library([(pop.features, pop.clustering), (corners.features, corners.clustering)])
    together = pd.concat([pop.features, corners.features])
    together = together[~together.index.duplicated()].drop(columns="source")
    expected = cluster_tracks(together[list(pop.clustering.feature_columns)])
    placed = placed_clusters(pop.clustering).index.append(placed_clusters(corners.clustering).index).unique()
    assert list(projection.tracks.index) == list(placed) and projection.left_out == 0
    assert np.allclose(projection.tracks[["x", "y"]], expected.tracks.loc[placed, ["x", "y"]], atol=1e-9)
    assert [axis.label for axis in projection.axes] == [axis.label for axis in expected.axes]
    assert np.allclose([a.explained_variance for a in projection.axes], [a.explained_variance for a in expected.axes])


def test_the_library_projection_drops_rare_columns_and_leaves_out_tracks_missing_a_kept_one():
    pop = demo(INTERNATIONAL_POP)
    features = pop.features.copy()
    features.loc[features.index[:20], "tempo"] = np.nan  # 20 % of the tracks: tempo is not projected on
    features.loc[features.index[20:25], "energy"] = np.nan  # 5 %: energy is, these 5 tracks are left out
    projection = project_library([(features, pop.clustering)])
    assert "tempo" not in projection.columns and "energy" in projection.columns
    assert projection.left_out == 5 and len(projection.tracks) == len(features) - 5
    assert not projection.tracks.index.isin(features.index[20:25]).any()


def test_the_library_map_shows_a_shared_track_once_with_all_its_playlists():
    pop, corners = demo(INTERNATIONAL_POP), demo(FOUR_GENRES)
    shared = next(i for i in placed_clusters(pop.clustering).index if i in ids_with_links(pop))
    # Four Corners with Pop's first track in place of its own first track (same features: it is the same track).
    replaced = placed_clusters(corners.clustering).index[0]
    rename = {replaced: shared}
    corners = corners._replace(
        tracks=pd.concat([corners.tracks.drop(replaced), pop.tracks.loc[[shared]]]),
        features=pd.concat([corners.features.drop(replaced), pop.features.loc[[shared]]]),
        clustering=dataclasses.replace(corners.clustering, tracks=corners.clustering.tracks.rename(index=rename)),
    )
    objects = bokeh_objects(render_library_map([pop, named(corners, {1: "Heavy"})], SCRIPT_SRC))
    data = source_data(objects)
    assert data["spotify_id"].count(shared) == 1
    row = data["spotify_id"].index(shared)
    pop_cluster = pop.clustering.tracks.loc[shared, "cluster"]
    corners_cluster = corners.clustering.tracks.loc[shared, "cluster"]
    heavy = " · Heavy" if corners_cluster == 1 else ""
    pop_name = pop.clustering.names[int(pop_cluster)]
    assert data["playlists"][row] == (
        f"{pop.name} (cluster {pop_cluster} · {pop_name}); {corners.name} (cluster {corners_cluster}{heavy})"
    )
    placed = set(placed_clusters(pop.clustering).index) | set(placed_clusters(corners.clustering).index)
    assert len(data["name"]) == len(placed)
    assert data["by_cluster"][row] == to_hex(cluster_colours(pop.clustering)[int(pop_cluster)])
    assert len(set(data["by_playlist"])) == 2
    renderers = of_type(objects, "GlyphRenderer")
    assert [fill_colour(objects, r)["field"] for r in renderers] == ["by_playlist", "by_cluster"]
    assert [r["attributes"].get("visible", True) for r in renderers] == [True, False]
    [toggle] = of_type(objects, "RadioButtonGroup")
    assert toggle["attributes"]["labels"] == ["Colour by playlist", "Colour by cluster"]


def test_the_library_map_of_playlists_without_placed_tracks_is_empty_but_whole():
    few = demo(INTERNATIONAL_POP).features.iloc[:3]
    playlist = MappedPlaylist("Tiny", demo(INTERNATIONAL_POP).tracks, few, cluster_features(few))
    objects = bokeh_objects(render_library_map([playlist], SCRIPT_SRC))
    assert source_data(objects)["name"] == []
    [title] = of_type(objects, "Title")
    assert title["attributes"]["text"] == "Every playlist on one map: 0 tracks of 0 playlists"


def test_the_same_data_gives_the_same_bytes_whatever_was_drawn_before():
    pop, corners = demo(INTERNATIONAL_POP), demo(FOUR_GENRES)
    first = playlist_map(pop)
    library = render_library_map([pop, corners], SCRIPT_SRC)
    assert playlist_map(corners) != first
    assert playlist_map(pop) == first
    assert render_library_map([pop, corners], SCRIPT_SRC) == library
