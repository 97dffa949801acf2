"""The output folder's files: each playlist's page and scatter, the index, and the folders of playlists gone.

Every file is written atomically (a temporary file forced to disk, then renamed over the old one), so that a reader
sees the old file or the whole new one, never half of one.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.render import page_path, playlist_slug, relative_link, render_clusters_page, render_scatter, scatter_path
from playlist_assets.render.paths import slug_suffix


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one.

    Temporary files left by an earlier writer that was killed are removed first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        leftover.unlink(missing_ok=True)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def remove_playlist_outputs(output_dir: Path, playlist_id: str, keep_slug: str | None = None) -> list[Path]:
    """Delete the playlist's page and image folders, except those of ``keep_slug``; return what was deleted.

    Folders are found by the id's hash suffix, so folders written under an earlier name of the playlist go too.
    """
    suffix = "_" + slug_suffix(playlist_id)
    removed = []
    for parent in (output_dir / "playlists", output_dir / "images" / "playlists"):
        for folder in sorted(parent.glob(f"*{suffix}")):
            if folder.is_dir() and folder.name != keep_slug:
                shutil.rmtree(folder)
                removed.append(folder)
    return removed


def write_scatter(root: Path, tracks: PlaylistTracks, clustering: Clustering) -> tuple[Path, bytes | None]:
    """Write the playlist's scatter PNG under ``root``, or remove it when the playlist was not clustered."""
    path = scatter_path(root, playlist_slug(tracks.playlist.id, tracks.playlist.name))
    if not clustering.clustered:
        path.unlink(missing_ok=True)
        return path, None
    png = render_scatter(clustering, tracks.playlist.display_name)
    write_atomically(path, png)
    return path, png


def render_page(
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    liked: frozenset,
    image_link: str | None,
    liked_unreadable: str = "",
) -> str:
    """The playlist's page, its scatter linked as ``image_link`` (none when None), with what changed since the previous
    refresh; see ``render_clusters_page``."""
    return render_clusters_page(
        playlist=tracks.playlist,
        tracks=tracks.tracks,
        features=features,
        clustering=clustering,
        liked=liked,
        image_link=image_link,
        skipped=tracks.skipped,
        unreadable=tracks.unreadable,
        liked_unreadable=liked_unreadable,
        changes=clustering.changes,
    )


def write_page(
    root: Path,
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    scatter: str | None,
    liked: frozenset,
    liked_unreadable: str = "",
) -> tuple[Path, str]:
    """Write the playlist's page under ``root``, linking its scatter (a path, or None) relatively; its path and text.

    The folders written under an earlier name of the playlist are removed.
    """
    slug = playlist_slug(tracks.playlist.id, tracks.playlist.name)
    path = page_path(root, slug)
    image_link = relative_link(path, Path(scatter)) if scatter else None
    page = render_page(tracks, features, clustering, liked, image_link, liked_unreadable)
    write_atomically(path, page.encode("utf-8"))
    remove_playlist_outputs(root, tracks.playlist.id, keep_slug=slug)
    return path, page
