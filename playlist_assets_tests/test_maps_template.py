"""The maps' pages filled from templates (render/bokeh_template.py) are the pages Bokeh draws from the same values."""

from __future__ import annotations

import dataclasses
import re

import pytest

from playlist_assets.analysis.clustering import MAX_K
from playlist_assets.render import maps
from playlist_assets.render.bokeh_template import PageTemplate, repeatable
from playlist_assets.sources.demo_library import FOUR_GENRES, INTERNATIONAL_POP
from playlist_assets_tests.test_hostile_input import HOSTILE_NAMES
from playlist_assets_tests.test_maps import SCRIPT_SRC, demo, with_names

#: Bokeh's model ids ("p1042") and the page's element and document ids (counted uuids).
IDS = re.compile(r'"p\d{4,}"|[0-9a-f]{8}-0000-4000-8000-[0-9a-f]{12}')


def numbered_by_first_use(page: str) -> str:
    """``page`` with each id replaced by the order in which it first appears."""
    seen: dict[str, str] = {}
    return IDS.sub(lambda found: seen.setdefault(found.group(), f"<id {len(seen)}>"), page)


def bokehs_own(shape, values) -> str:
    """The page Bokeh draws from ``values``, the way every template is drawn."""
    return repeatable(shape.draw)(values)


@pytest.mark.parametrize("clusters", [2, 3, MAX_K - 1, MAX_K, MAX_K + 2])
def test_a_playlist_map_is_bokehs_drawing_of_its_values_with_other_ids(clusters):
    playlist = with_names(demo(INTERNATIONAL_POP), HOSTILE_NAMES)
    tracks = playlist.clustering.tracks.copy()
    tracks["cluster"] = [number % clusters + 1 for number in range(len(tracks))]
    clustering = dataclasses.replace(playlist.clustering, tracks=tracks, names={2: "</script> & <b>"})
    title = "Pop </script><script>alert(1)</script> 'x' \"y\" 🎧"
    shape, values = maps._playlist_map(playlist.tracks, playlist.features, clustering, title, SCRIPT_SRC)
    assert shape.clusters == clusters
    filled = maps.render_playlist_map(playlist.tracks, playlist.features, clustering, title, SCRIPT_SRC)
    drawn = bokehs_own(shape, values)
    assert numbered_by_first_use(filled) == numbered_by_first_use(drawn)
    if clusters >= MAX_K:  # drawn as it is, not cut from a page of more clusters: the very same bytes
        assert filled == drawn


def test_the_library_map_is_bokehs_drawing_of_its_values():
    playlists = [with_names(demo(INTERNATIONAL_POP), HOSTILE_NAMES), demo(FOUR_GENRES)]
    shape, values = maps._library_map(playlists, SCRIPT_SRC)
    assert maps.render_library_map(playlists, SCRIPT_SRC) == bokehs_own(shape, values)


def test_a_template_refuses_to_leave_out_a_model_others_still_refer_to():
    pop = demo(INTERNATIONAL_POP)
    shape, _ = maps._playlist_map(pop.tracks, pop.features, pop.clustering, "Pop", SCRIPT_SRC)
    template = PageTemplate.drawn(shape.draw, shape.slots())
    with pytest.raises(ValueError, match="could not be taken out whole"):
        template.without(["name"])  # the data source every renderer draws from
