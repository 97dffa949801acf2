"""The page as the Dagster UI previews it: album art as markdown images, each cluster in one table, no scatter and
no link to the map."""

import re

import pytest

from playlist_assets.analysis import cluster_features
from playlist_assets.assets.checks import listed_tracks
from playlist_assets.definitions import defs as project_definitions
from playlist_assets.features import DemoFeatures
from playlist_assets.render.markdown import TABLE_HEADER
from playlist_assets.render.preview import ui_preview
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import EMPTY, TWO_TRACKS
from playlist_assets.writers.files import render_page

defs = project_definitions()


def page_of(playlist, image_link="../../images/clusters_scatter.png") -> tuple[str, object]:
    tracks = DemoSource().fetch_playlist(playlist.id)
    features = DemoFeatures().features(tracks.tracks)
    clustering = cluster_features(features)
    liked = DemoSource().liked_track_ids()
    return render_page(tracks, features, clustering, liked, image_link, map_link="map.html"), clustering


@pytest.mark.parametrize("name", ["International Pop", "Everything Shuffled", TWO_TRACKS, EMPTY])
def test_the_preview_lists_every_track_of_the_page_without_html_or_scatter(demo_playlists, name):
    page, clustering = page_of(demo_playlists[name])
    preview = ui_preview(page)
    assert "<img" not in preview and "<details" not in preview and "clusters_scatter.png" not in preview
    assert "(map.html)" not in preview and ("(map.html)" in page) == clustering.clustered
    titled_rows = preview.count("| | **")
    assert listed_tracks(preview) - titled_rows == listed_tracks(page)
    assert preview.count(TABLE_HEADER) == max(clustering.k, 1 if "| Art |" in page else 0) + ("## Not placed" in page)
    assert preview.splitlines()[0] == page.splitlines()[0]


def test_album_art_becomes_a_markdown_image_and_the_rest_of_a_cluster_is_titled(demo_playlists):
    page, _ = page_of(demo_playlists["International Pop"])
    preview = ui_preview(page)
    art = [line for line in preview.splitlines() if line.startswith("| ![](https://i.scdn.co/image/")]
    assert len(art) == page.count('<img src="https://i.scdn.co/image/') and "ab67616d00004851" in art[0]
    summaries = re.findall(r"<details><summary>(\d+ more tracks?)</summary>", page)
    assert summaries and [f"| | **{summary}** | | | | | |" in preview for summary in summaries] == [True] * len(summaries)


def test_no_description_in_the_ui_holds_something_its_markdown_would_take_for_a_tag():
    graph = defs.resolve_asset_graph()
    descriptions = [graph.get(key).description for key in graph.get_all_asset_keys()]
    descriptions += [graph.get_check_spec(key).description for key in graph.asset_check_keys]
    assert descriptions and not [text for text in descriptions if text and re.search(r"<[A-Za-z/]", text)]
