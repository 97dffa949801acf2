"""The maps as a reader meets them: opened from disk in headless Chromium (Debian's, driven by Playwright).

The demo library's maps as `./run.sh` writes them (a playlist's, the library's); and, for names from the hostile
corpus, the demo's maps with one playlist renamed, written by the same writer functions (``bench/maps.py``'s
``write_maps``). Every request the pages make is recorded, and any to another host is refused; an alert or a
console error fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.maps import demo_playlists, write_maps
from playlist_assets.partitions import playlist_key
from playlist_assets.render.paths import library_map_path, map_path
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import INTERNATIONAL_POP, SPECIAL_CHARACTERS
from playlist_assets_tests.test_hostile_input import HOSTILE_NAMES
from playlist_assets_tests.test_maps import named, with_names
from playlist_assets_tests.test_ui_browser import CHROMIUM, require_browser, run_demo

pytestmark = pytest.mark.slow

HOSTILE_CLUSTER = "<img src=x onerror=alert(1)> </script>"
#: The map's plot view, found by walking BokehJS's views; the page position of point ``i`` of its data.
POINT = """(i) => {
  function* walk(view) { yield view; for (const child of view.children()) yield* walk(child) }
  const plot = [...Bokeh.index.roots].flatMap((root) => [...walk(root)]).find((view) => view.model.type == "Figure")
  const {data} = plot.model.renderers[0].data_source, box = plot.canvas_view.el.getBoundingClientRect()
  return [box.left + plot.frame.x_scale.compute(data.x[i]), box.top + plot.frame.y_scale.compute(data.y[i])]
}"""
#: The text columns, visibility of each renderer and the selected points of the map's one data source.
STATE = """() => {
  const {renderers} = Bokeh.documents[0].roots()[0].children[1]
  const source = renderers[0].data_source
  const texts = Object.entries(source.data).filter(([, column]) => Array.isArray(column))
  return {data: Object.fromEntries(texts), visible: renderers.map((r) => r.visible), selected: source.selected.indices}
}"""


@pytest.fixture(scope="module")
def maps(tmp_path_factory) -> dict[str, Path]:
    """The maps `./run.sh` wrote for the demo library: {playlist name or "library": map file}."""
    require_browser()
    output = Path(run_demo(tmp_path_factory.mktemp("maps_run"))["PLAYLIST_ASSETS_OUTPUT"])
    written = {playlist.name: map_path(output, playlist_key(playlist)) for playlist in DemoSource().list_playlists()}
    return {**written, "library": library_map_path(output)}


@pytest.fixture(scope="module")
def hostile_maps(tmp_path_factory) -> dict[str, Path]:
    """The demo library's maps, its special characters playlist renamed with the hostile corpus and a cluster named
    with markup: {playlist name or "library": map file}."""
    require_browser()
    playlists = [
        named(with_names(playlist, HOSTILE_NAMES), {1: HOSTILE_CLUSTER})
        if playlist.name == SPECIAL_CHARACTERS
        else playlist
        for playlist in demo_playlists()
    ]
    root = tmp_path_factory.mktemp("maps")
    return {name: path for name, (path, _) in write_maps(root, playlists).items()}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


class Visit:
    """A tab on one map, and what it asked for and complained about."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._request)
        self.tab = self.context.new_page()
        self.tab.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        self.tab.on("pageerror", lambda error: self.problems.append(str(error)))
        self.tab.on("dialog", lambda dialog: (self.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        self.tab.goto(path.as_uri())
        self.tab.wait_for_function("() => window.Bokeh && [...Bokeh.index.roots].length > 0")

    def _request(self, route) -> None:
        self.requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.fulfill(body="offline", content_type="text/plain")

    def others(self) -> list[str]:
        return [url for url in self.requests if not url.startswith("file://")]

    def state(self) -> dict:
        return self.tab.evaluate(STATE)

    def hover(self, point: int) -> None:
        x, y = self.tab.evaluate(POINT, point)
        self.tab.mouse.move(x, y)


@pytest.fixture
def visit(browser) -> Iterator:
    visits = []

    def open_map(path: Path) -> Visit:
        visits.append(Visit(browser, path))
        return visits[-1]

    yield open_map
    for opened in visits:
        assert not opened.problems, f"{opened.tab.url}: {opened.problems}"
        opened.context.close()


def test_a_playlist_map_shows_names_hides_clusters_finds_tracks_and_opens_spotify(maps, visit):
    page = visit(maps[INTERNATIONAL_POP])
    state = page.state()
    data = state["data"]
    linked = next(i for i, track_id in enumerate(data["spotify_id"]) if track_id)
    page.hover(linked)
    page.tab.get_by_text(data["name"][linked], exact=True).first.wait_for()
    with page.tab.expect_popup() as opened:
        page.tab.mouse.click(*page.tab.evaluate(POINT, linked))
    opened.value.wait_for_load_state()
    assert opened.value.url == f"https://open.spotify.com/track/{data['spotify_id'][linked]}"
    assert len(page.others()) == 1  # the click's, answered locally: nothing at load, hover or search
    opened.value.close()

    first = data["cluster"][linked].split(" ")[0]
    page.tab.get_by_text(re.compile(rf"^Cluster {first}\b")).click()
    hidden = page.state()["visible"]
    assert hidden.count(False) == 1 and not hidden[int(first) - 1]
    page.tab.mouse.move(5, 5)
    page.hover(linked)
    page.tab.wait_for_timeout(300)
    assert page.tab.get_by_text(data["name"][linked], exact=True).count() == 0

    query = data["artists"][linked].split(", ")[0]
    page.tab.get_by_placeholder("Find a track or an artist").fill(query.upper())
    expected = [i for i, artists in enumerate(data["artists"]) if query.lower() in artists.lower()]
    page.tab.get_by_text(f"{len(expected)} found").wait_for()
    assert sorted(page.state()["selected"]) == expected


def test_hostile_names_show_as_text_and_run_nothing(hostile_maps, visit):
    page = visit(hostile_maps[SPECIAL_CHARACTERS])
    data = page.state()["data"]
    for point in range(4):
        page.hover(point)
        page.tab.get_by_text(data["name"][point], exact=True).first.wait_for()
    page.tab.get_by_text(f"Cluster 1: {HOSTILE_CLUSTER} (").wait_for()
    query = "<img src=x onerror=alert(1)>"
    page.tab.get_by_placeholder("Find a track or an artist").fill(query)
    found = [i for i, texts in enumerate(zip(data["name"], data["artists"])) if any(query in text for text in texts)]
    page.tab.get_by_text(f"{len(found)} found").wait_for()
    assert sorted(page.state()["selected"]) == found and found
    assert page.tab.locator("img").count() == 0 and not page.others()


def test_the_library_map_shows_each_track_with_its_playlists_switches_colours_and_finds_a_track_and_a_playlist(maps, visit):
    page = visit(maps["library"])
    state = page.state()
    data = state["data"]
    assert state["visible"] == [True, False] and len(set(data["name"])) > 100
    shared = next(i for i, playlists in enumerate(data["playlists"]) if playlists.count(" (cluster ") >= 2)
    page.hover(shared)
    page.tab.get_by_text(data["playlists"][shared], exact=True).first.wait_for()
    page.tab.get_by_text(data["name"][shared], exact=True).first.wait_for()
    page.tab.get_by_text("Colour by cluster").click()
    assert page.state()["visible"] == [False, True]
    search = page.tab.get_by_placeholder("Find a track, an artist or a playlist")
    search.fill(data["name"][shared])
    expected = [i for i, texts in enumerate(zip(data["name"], data["artists"], data["playlists"]))
                if any(data["name"][shared].lower() in text.lower() for text in texts)]
    page.tab.get_by_text(f"{len(expected)} found").wait_for()
    assert shared in page.state()["selected"] and sorted(page.state()["selected"]) == expected
    search.fill(INTERNATIONAL_POP.lower())
    expected = [i for i, playlists in enumerate(data["playlists"]) if INTERNATIONAL_POP in playlists]
    page.tab.get_by_text(f"{len(expected)} found").wait_for()
    assert sorted(page.state()["selected"]) == expected and not page.others()
