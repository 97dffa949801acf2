"""Rendering: the markdown page, the scatter image and where they go."""

from playlist_assets.render.markdown import escape_cell, render_clusters_page
from playlist_assets.render.paths import (
    page_path,
    playlist_slug,
    relative_link,
    remove_playlist_outputs,
    scatter_path,
    write_atomically,
)
from playlist_assets.render.scatter import build_scatter_figure, render_scatter

__all__ = [
    "build_scatter_figure",
    "escape_cell",
    "page_path",
    "playlist_slug",
    "relative_link",
    "remove_playlist_outputs",
    "render_clusters_page",
    "render_scatter",
    "scatter_path",
    "write_atomically",
]
