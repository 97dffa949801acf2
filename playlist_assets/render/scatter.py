"""The scatter image of one playlist's clusters."""

from __future__ import annotations

import re
import textwrap
import threading
from functools import cache

import matplotlib
import numpy as np
import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font

from playlist_assets.model import Clustering
from playlist_assets.render.markdown import count
from playlist_assets.render.png import encode_png

FIGURE_SIZE = (9, 6)  # inches
DPI = 100
STYLE = "default"  # matplotlib's own defaults, whatever the user's matplotlibrc says: same input, same bytes
TITLE_WIDTH = 70  # characters per line of the title at most: a longer name wraps onto more lines, not clipped
TITLE_PIXELS = 720  # width of a title line at most: the title is centred over the axes, 738 px from the left edge
TITLE_LINE = 0.035  # height of one title line, as a share of the figure's
LEGEND_NAME_WIDTH = 24  # characters per line of a cluster's name in the legend: the legend stays inside the figure


@cache
def _font_characters() -> frozenset[int]:
    """The code points the default font (DejaVu Sans, shipped with matplotlib) has glyphs for."""
    with matplotlib.style.context(STYLE):
        return frozenset(FT2Font(findfont(FontProperties())).get_charmap())


def drawable(text: str) -> str:
    """``text`` without the characters the font cannot draw (CJK, emoji...), whitespace collapsed."""
    covered = "".join(char for char in text if ord(char) in _font_characters())
    return re.sub(r"\s+", " ", covered).strip()


def _colour(cluster: int, highest: int) -> tuple[float, ...]:
    """Cluster N's colour: the Nth of tab10 (of tab20 when some cluster is numbered above 10), whatever the others."""
    colours = matplotlib.colormaps["tab10" if highest <= 10 else "tab20"].colors
    return colours[(cluster - 1) % len(colours)]


def cluster_colours(clustering: Clustering) -> dict[int, tuple[float, ...]]:
    """Each cluster number's colour, as the scatter draws it."""
    clusters = clustering.tracks["cluster"].to_numpy()
    numbers = np.unique(clusters[clusters >= 1])
    return {int(cluster): _colour(int(cluster), int(numbers.max())) for cluster in numbers} if len(numbers) else {}


def _legend_label(cluster: int, size: int, name: str) -> str:
    """``"Cluster 2 (25 tracks)"``, the cluster's name on the next lines."""
    return "\n".join([f"Cluster {cluster} ({count(size, 'track')})", *textwrap.wrap(drawable(name), LEGEND_NAME_WIDTH)])


def build_scatter_figure(clustering: Clustering, title: str) -> Figure:
    """The scatter of the clustered tracks on the two axes, one colour per cluster, centres marked.

    Drawn on this thread's figure (see ``_blank_figure``): valid until the thread's next scatter.
    """
    with matplotlib.style.context(STYLE):
        return _scatter_figure(clustering, title)


def render_scatter(clustering: Clustering, title: str) -> bytes:
    """The scatter as PNG bytes; the same input gives the same bytes."""
    with matplotlib.style.context(STYLE):
        figure = _scatter_figure(clustering, title)
        figure.canvas.draw()
    return encode_png(np.asarray(figure.canvas.buffer_rgba()), DPI)


def _scatter_figure(clustering: Clustering, title: str) -> Figure:
    """``build_scatter_figure`` in the style's context."""
    if not clustering.clustered or clustering.axes is None:
        raise ValueError("only a clustered playlist has a scatter")
    figure = _blank_figure()
    title_lines = _wrapped(drawable(title) or "Clusters", figure)
    # Fixed margins (a layout engine would double the drawing time): the legend in a right-hand column,
    # the top lowered by one title line's height per line.
    figure.subplots_adjust(left=0.08, right=0.74, bottom=0.09, top=0.95 - TITLE_LINE * (title_lines.count("\n")))
    ax = figure.axes[0]
    clusters = clustering.tracks["cluster"].to_numpy()
    x, y = clustering.tracks["x"].to_numpy(), clustering.tracks["y"].to_numpy()
    colours = cluster_colours(clustering)
    for cluster, colour in colours.items():
        members = clusters == cluster
        ax.scatter(
            x[members],
            y[members],
            s=20,
            alpha=0.8,
            color=colour,
            label=_legend_label(cluster, int(members.sum()), clustering.names.get(cluster, "")),
        )
    centres = clustering.centres
    ax.scatter(
        centres["x"],
        centres["y"],
        s=160,
        marker="X",
        color=[colours[int(cluster)] for cluster in centres.index],
        edgecolors="black",
        linewidths=1.5,
        label="Centre",
    )
    x_axis, y_axis = clustering.axes
    ax.set_xlabel(_axis_label(x_axis.label, x_axis.explained_variance), parse_math=False)
    ax.set_ylabel(_axis_label(y_axis.label, y_axis.explained_variance), parse_math=False)
    ax.set_title(title_lines, parse_math=False)
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    legend.legend_handles[-1].set_facecolor("white")  # the centres' entry: each centre has its cluster's colour
    return figure


_this_thread = threading.local()


def _blank_figure() -> Figure:
    """This thread's figure with its axes emptied: no points, no data limits (``ax.legend`` replaces the legend).

    One figure per thread, made once and reused: a new figure costs a third of the drawing (ticks, text
    measurements, renderer); a reused one gives the same bytes as a new one.
    """
    if not hasattr(_this_thread, "figure"):
        _this_thread.figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
        FigureCanvasAgg(_this_thread.figure)
        _this_thread.figure.add_subplot()
    ax = _this_thread.figure.axes[0]
    for collection in list(ax.collections):
        collection.remove()
    ax.relim()
    return _this_thread.figure


def _wrapped(title: str, figure: Figure) -> str:
    """``title`` on lines of at most ``TITLE_WIDTH`` characters and ``TITLE_PIXELS`` as ``figure`` draws its
    title (long words broken too)."""
    renderer, font = figure.canvas.get_renderer(), figure.axes[0].title.get_fontproperties()
    for width in range(TITLE_WIDTH, 0, -5):
        lines = textwrap.wrap(title, width)
        if all(renderer.get_text_width_height_descent(line, font, ismath=False)[0] <= TITLE_PIXELS for line in lines):
            break
    return "\n".join(lines)


def _axis_label(label: str, explained_variance: float) -> str:
    return f"{drawable(label)} ({round(explained_variance * 100)} %)"
