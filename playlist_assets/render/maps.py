"""Interactive maps of the clusters, drawn by Bokeh (pure: data in, HTML text out).

A map is one HTML file that loads the shared copy of BokehJS (``shared_script``) from a relative path: it opens
from disk and asks no other host for anything. Names are data: Bokeh escapes the JSON it embeds and the values
its hover shows, and the few lines of JavaScript here only compare text and open a link on a click. Bokeh draws
each shape of map once per process; each map fills that page with its values (``bokeh_template``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, NamedTuple

import bokeh
import numpy as np
import pandas as pd
from bokeh.layouts import column, row
from bokeh.models import CDSView, ColumnDataSource, CustomJS, Div, HoverTool, IndexFilter, Legend
from bokeh.models import RadioButtonGroup, TapTool, TextInput
from bokeh.plotting import figure
from bokeh.util.paths import bokehjs_path
from matplotlib import colormaps
from matplotlib.colors import to_hex

from playlist_assets.analysis.clustering import MAX_K
from playlist_assets.analysis.library_projection import placed_clusters, project_library
from playlist_assets.analysis.vocabulary import UNITS, column_name
from playlist_assets.model import TRACK_COLUMNS, Axis, Clustering
from playlist_assets.render.bokeh_template import PAGE_SLOTS, PageTemplate, Slot, html_page
from playlist_assets.render.markdown import count
from playlist_assets.render.scatter import cluster_colours

#: The shared JavaScript's file name, versioned: a new Bokeh writes a new file beside the old one.
SHARED_SCRIPT_NAME = f"bokeh-{bokeh.__version__}.min.js"
SPOTIFY_TRACK = "https://open.spotify.com/track/"
HEIGHT = 640  # pixels; the width follows the window's
#: A track's hover on the library map names at most this many of its playlists.
PLAYLISTS_SHOWN = 6
#: Bokeh number formats (numeral.js) of the hover's feature values; others show two decimals.
VALUE_FORMATS = {
    "tempo": "0", "loudness": "0.0", "release_year": "0", "popularity": "0", "duration_min": "0.0", "explicit": "0"
}
_SEARCH = """
const query = cb_obj.value_input.trim().toLowerCase()
const {data} = source, found = []
if (query) data.name.forEach((name, i) => {
  if (fields.some((field) => data[field][i].toLowerCase().includes(query))) found.push(i)
})
source.selected.indices = found
status.text = query ? `${found.length} found` : ""
"""
_OPEN_ON_SPOTIFY = """
const id = source.data.spotify_id[source.selected.indices[0]]
if (id) window.open(spotify + encodeURIComponent(id), "_blank", "noopener")
"""


@cache
def shared_script() -> tuple[str, bytes]:
    """The file name and bytes of the JavaScript every map loads: BokehJS and its widgets, from Bokeh's wheel."""
    bundles = [bokehjs_path() / "js" / name for name in ("bokeh.min.js", "bokeh-widgets.min.js")]
    return SHARED_SCRIPT_NAME, b"\n".join(bundle.read_bytes() for bundle in bundles)


def render_playlist_map(
    tracks: pd.DataFrame, features: pd.DataFrame, clustering: Clustering, title: str, script_src: str
) -> str:
    """The map of one playlist's placed tracks: its scatter's projection and colours, a hover naming each track,
    its artists, cluster (number and name) and feature values, a legend that hides clusters, a search box.

    ``tracks``: the playlist's tracks (TRACK_COLUMNS), ``features``: its feature table, ``script_src``: the
    link from the map to ``shared_script``'s file.
    """
    shape, values = _playlist_map(tracks, features, clustering, title, script_src)
    return _template(shape).fill(values)


class _PlaylistShape(NamedTuple):
    """What a playlist map's Bokeh models depend on; the rest are values filled in (``slots``)."""

    clusters: int
    columns: tuple[str, ...]  # the features the hover shows

    def slots(self) -> dict[str, Slot]:
        per_cluster = {f"{part}{n}": kind for n in range(self.clusters) for part, kind in _CLUSTER_SLOTS.items()}
        return {**_PAGE_SLOTS, **_AXIS_SLOTS, **_data_slots(self.columns, _PLAYLIST_COLUMNS), **per_cluster}

    def draw(self, values: Mapping[str, Any]) -> str:
        source = ColumnDataSource({name: values[name] for name in _data_slots(self.columns, _PLAYLIST_COLUMNS)})
        plot = _plot(values)
        plot.add_layout(Legend(click_policy="hide"), "right")
        points = [
            plot.scatter(
                "x", "y", source=source, view=CDSView(filter=IndexFilter(values[f"members{n}"])), size=8, alpha=0.8,
                color=values[f"colour{n}"], legend_label=values[f"label{n}"], **_HIGHLIGHT,
            )
            for n in range(self.clusters)
        ]
        _interact(plot, points, source, self.columns, ("Cluster", "@cluster"))
        search, status = _search(source, ("name", "artists"), "Find a track or an artist")
        layout = column(row(search, status), plot, sizing_mode="stretch_width")
        return html_page(layout, values)


_PAGE_SLOTS = {**PAGE_SLOTS, "title": Slot.TEXT}
_AXIS_SLOTS = {"x_label": Slot.TEXT, "y_label": Slot.TEXT}
_CLUSTER_SLOTS = {"colour": Slot.COLOUR, "label": Slot.TEXT, "members": Slot.INDICES}
_PLAYLIST_COLUMNS = {"cluster": Slot.STRINGS}
_LIBRARY_COLUMNS = {"playlists": Slot.STRINGS, "by_playlist": Slot.STRINGS, "by_cluster": Slot.STRINGS}


def _playlist_map(
    tracks: pd.DataFrame, features: pd.DataFrame, clustering: Clustering, title: str, script_src: str
) -> tuple[_PlaylistShape, dict[str, Any]]:
    """The shape of the playlist's map and the values that fill it."""
    if not clustering.clustered or clustering.axes is None:
        raise ValueError("only a clustered playlist has a map")
    placed = placed_clusters(clustering)
    ids, clusters = placed.index, placed.to_numpy()
    named = clustering.names
    values = {
        "page_title": f"Map of {title}",
        "script_src": script_src,
        "title": f"Clusters in {title}",
        **_axis_labels(clustering.axes),
        **_track_columns(ids, tracks, features, clustering.feature_columns),
        "x": clustering.tracks.loc[ids, "x"].to_numpy(dtype="float32"),
        "y": clustering.tracks.loc[ids, "y"].to_numpy(dtype="float32"),
        "cluster": [f"{c} · {named[c]}" if named.get(c) else str(c) for c in clusters],
    }
    colours = cluster_colours(clustering)
    numbers = np.unique(clusters)
    for n, cluster in enumerate(numbers.tolist()):
        members = np.flatnonzero(clusters == cluster)
        label = f"Cluster {cluster}" + (f": {named[cluster]}" if named.get(cluster) else "")
        values[f"colour{n}"] = to_hex(colours[cluster])
        values[f"label{n}"] = f"{label} ({count(len(members), 'track')})"
        values[f"members{n}"] = members.tolist()
    return _PlaylistShape(len(numbers), tuple(clustering.feature_columns)), values


class MappedPlaylist(NamedTuple):
    """One playlist's share of the library map."""

    name: str  # as people read it (``PlaylistInfo.display_name``)
    tracks: pd.DataFrame  # TRACK_COLUMNS
    features: pd.DataFrame  # its feature table
    clustering: Clustering


def render_library_map(playlists: Sequence[MappedPlaylist], script_src: str) -> str:
    """The map of every placed track of every playlist on one projection (``project_library``), each track once,
    coloured by its first playlist or by its cluster there (a toggle), its hover naming all its playlists."""
    shape, values = _library_map(playlists, script_src)
    return _template(shape).fill(values)


class _LibraryShape(NamedTuple):
    """What the library map's Bokeh models depend on; the rest are values filled in (``slots``)."""

    columns: tuple[str, ...]  # the features the hover shows
    has_axes: bool

    def slots(self) -> dict[str, Slot]:
        return {**_PAGE_SLOTS, **(_AXIS_SLOTS if self.has_axes else {}), **_data_slots(self.columns, _LIBRARY_COLUMNS)}

    def draw(self, values: Mapping[str, Any]) -> str:
        source = ColumnDataSource({name: values[name] for name in _data_slots(self.columns, _LIBRARY_COLUMNS)})
        plot = _plot(values)
        points = [
            plot.scatter("x", "y", source=source, size=6, alpha=0.7, color=by, visible=by == "by_playlist", **_HIGHLIGHT)
            for by in ("by_playlist", "by_cluster")
        ]
        _interact(plot, points, source, self.columns, ("Playlists", "@playlists"))
        colour_by = RadioButtonGroup(labels=["Colour by playlist", "Colour by cluster"], active=0)
        colour_by.js_on_change(
            "active",
            CustomJS(args={"points": points}, code="points.forEach((p, i) => { p.visible = i == cb_obj.active })"),
        )
        search, status = _search(source, ("name", "artists", "playlists"), "Find a track, an artist or a playlist")
        layout = column(row(colour_by, search, status), plot, sizing_mode="stretch_width")
        return html_page(layout, values)


def _library_map(playlists: Sequence[MappedPlaylist], script_src: str) -> tuple[_LibraryShape, dict[str, Any]]:
    """The shape of the library map and the values that fill it."""
    projection = project_library((playlist.features, playlist.clustering) for playlist in playlists)
    ids = projection.tracks.index
    first: dict[str, tuple[int, int]] = {}  # track id -> (playlist number, cluster) where it is first placed
    memberships: dict[str, list[str]] = {}
    mapped = 0  # playlists with a placed track
    for number, playlist in enumerate(playlists):
        named = playlist.clustering.names
        placed = placed_clusters(playlist.clustering)
        mapped += not placed.empty
        for track_id, cluster in zip(placed.index, placed.to_numpy().tolist()):
            first.setdefault(track_id, (number, cluster))
            name = f" · {named[cluster]}" if named.get(cluster) else ""
            memberships.setdefault(track_id, []).append(f"{playlist.name} (cluster {cluster}{name})")
    owners = [first[track_id] for track_id in ids]
    rows = pd.concat([playlist.tracks for playlist in playlists] or [pd.DataFrame(columns=list(TRACK_COLUMNS))])
    rows = rows[~rows.index.duplicated()]
    palette = [to_hex(colour) for colour in colormaps["tab20"].colors]
    colours = [{cluster: to_hex(c) for cluster, c in cluster_colours(p.clustering).items()} for p in playlists]
    shown = f"{count(len(ids), 'track')} of {count(mapped, 'playlist')}"
    left_out = projection.left_out and f"; {count(projection.left_out, 'track')} without every feature not shown"
    values = {
        "page_title": "Map of every playlist",
        "script_src": script_src,
        "title": f"Every playlist on one map: {shown}{left_out or ''}",
        **_axis_labels(projection.axes),
        **_track_columns(ids, rows, projection.tracks, projection.columns),
        "x": projection.tracks["x"].to_numpy(dtype="float32"),
        "y": projection.tracks["y"].to_numpy(dtype="float32"),
        "playlists": [_listed(memberships[track_id]) for track_id in ids],
        "by_playlist": [palette[number % len(palette)] for number, _ in owners],
        "by_cluster": [colours[number][cluster] for number, cluster in owners],
    }
    return _LibraryShape(tuple(projection.columns), projection.axes is not None), values


@lru_cache(maxsize=64, typed=True)
def _template(shape: _PlaylistShape | _LibraryShape) -> PageTemplate:
    """The page of maps of this shape. Bokeh draws a playlist map once per process with ``MAX_K`` clusters (or
    more), and a map of fewer clusters is that page without the renderers and legend items of the others."""
    if isinstance(shape, _PlaylistShape) and shape.clusters < MAX_K:
        drawn = _template(shape._replace(clusters=MAX_K))
        return drawn.without(set(drawn.slots) - set(shape.slots()))
    return PageTemplate.drawn(shape.draw, shape.slots())


#: Points a search finds keep their colour and get a black ring; the others fade.
_HIGHLIGHT = {"selection_line_color": "black", "selection_line_width": 2, "nonselection_alpha": 0.15}


def _track_columns(ids: pd.Index, tracks: pd.DataFrame, values: pd.DataFrame, columns: Sequence[str]) -> dict:
    """The hover's columns of the tracks ``ids``: name, artists, Spotify id (when it has a link) and ``columns``'
    values, as ``value0``, ``value1``..."""
    rows = tracks.reindex(ids)
    linked = rows["url"].fillna("").astype(str).str.startswith(SPOTIFY_TRACK).to_numpy()
    numbers = values.reindex(index=ids, columns=list(columns)).astype("float64").to_numpy(dtype="float32")
    return {
        "name": rows["name"].fillna("").astype(str).tolist(),
        "artists": [", ".join(artists) if isinstance(artists, tuple | list) else "" for artists in rows["artists"]],
        "spotify_id": [track_id if link else "" for track_id, link in zip(ids, linked)],
        **{f"value{i}": numbers[:, i] for i in range(len(columns))},
    }


def _data_slots(columns: Sequence[str], own: dict[str, Slot]) -> dict[str, Slot]:
    """The data source's columns, in order: ``_track_columns``', the projection, then the map's ``own``."""
    text = {name: Slot.STRINGS for name in ("name", "artists", "spotify_id")}
    return {**text, **{f"value{i}": Slot.NUMBERS for i in range(len(columns))}, "x": Slot.NUMBERS, "y": Slot.NUMBERS, **own}


def _axis_labels(axes: tuple[Axis, Axis] | None) -> dict[str, str]:
    if axes is None:
        return {}
    return dict(zip(_AXIS_SLOTS, (f"{axis.label} ({round(axis.explained_variance * 100)} %)" for axis in axes)))


def _plot(values: Mapping[str, Any]):
    plot = figure(
        title=values["title"], height=HEIGHT, sizing_mode="stretch_width", tools="pan,wheel_zoom,box_zoom,reset,tap",
        active_scroll="wheel_zoom",
    )
    if "x_label" in values:
        plot.xaxis.axis_label, plot.yaxis.axis_label = values["x_label"], values["y_label"]
    return plot


def _interact(plot, points: list, source: ColumnDataSource, columns: Sequence[str], group: tuple[str, str]) -> None:
    """The hover (track, artists, ``group``, feature values) and a click opening the track on Spotify."""
    values = [
        (column_name(column), f"@{{value{i}}}{{{VALUE_FORMATS.get(column, '0.00')}}}{UNITS.get(column, '')}")
        for i, column in enumerate(columns)
    ]
    plot.add_tools(HoverTool(renderers=points, tooltips=[("Track", "@name"), ("Artists", "@artists"), group, *values]))
    opening = CustomJS(args={"source": source, "spotify": SPOTIFY_TRACK}, code=_OPEN_ON_SPOTIFY)
    plot.select_one(TapTool).callback = opening


def _search(source: ColumnDataSource, fields: tuple[str, ...], placeholder: str) -> tuple[TextInput, Div]:
    """A box whose text highlights the points with it in one of ``fields`` (ignoring case), and their count."""
    status = Div(text="", render_as_text=True)
    search = TextInput(placeholder=placeholder, width=320)
    search.js_on_change(
        "value_input", CustomJS(args={"source": source, "fields": list(fields), "status": status}, code=_SEARCH)
    )
    return search, status


def _listed(playlists: list[str]) -> str:
    rest = len(playlists) - PLAYLISTS_SHOWN
    return "; ".join(playlists[:PLAYLISTS_SHOWN]) + (f"; and {count(rest, 'other')}" if rest > 0 else "")
