"""Rendering, pure: the markdown page, the scatter image and where they go (written by ``writers``)."""

from playlist_assets.render.markdown import escape_cell, render_clusters_page
from playlist_assets.render.paths import page_path, playlist_slug, relative_link, scatter_path
from playlist_assets.render.scatter import build_scatter_figure, render_scatter

__all__ = [
    "build_scatter_figure",
    "escape_cell",
    "page_path",
    "playlist_slug",
    "relative_link",
    "render_clusters_page",
    "render_scatter",
    "scatter_path",
]
