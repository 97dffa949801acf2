"""The output folder's files: each playlist's page, scatter and map (and its clusters' tracks to paste into
Spotify), the index, the library's map, the maps' shared script, and the folders of playlists gone.

Every file is written atomically (a temporary file forced to disk, then renamed over the old one), so that a reader
sees the old file or the whole new one, never half of one.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.publishing import DesiredCluster, paste_text, playlist_clusters
from playlist_assets.render import page_path, playlist_slug, relative_link, render_clusters_page, render_scatter, scatter_path
from playlist_assets.render.paths import library_map_path, map_path, slug_suffix

if TYPE_CHECKING:
    from playlist_assets.render.maps import MappedPlaylist

#: The text file beside a page holding a cluster's tracks (by its number), to paste into Spotify's desktop app.
PASTE_FILE = "cluster_{}_tracks.txt"


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


def write_paste_files(folder: Path, clusters: Mapping[int, DesiredCluster]) -> dict[int, str]:
    """Each cluster's tracks in ``folder`` as ``paste_text``, those of other clusters removed; cluster -> file name."""
    names = {cluster: PASTE_FILE.format(cluster) for cluster in clusters}
    for stale in folder.glob(PASTE_FILE.format("*")):
        if stale.name not in names.values():
            stale.unlink(missing_ok=True)
    for cluster, desired in clusters.items():
        write_atomically(folder / names[cluster], paste_text(desired.uris).encode("utf-8"))
    return names


def write_shared_script(root: Path) -> Path:
    """Write the maps' shared JavaScript at the top of ``root`` unless it is there (its name carries Bokeh's version)."""
    from playlist_assets.render.maps import shared_script  # Bokeh is imported by the steps that draw maps only

    name, script = shared_script()
    path = root / name
    if not path.is_file():
        write_atomically(path, script)
    return path


def write_playlist_map(root: Path, tracks: PlaylistTracks, features: pd.DataFrame, clustering: Clustering) -> Path | None:
    """Write the playlist's map beside its page (and the shared script), or remove it when the playlist was not
    clustered; its path, None when there is none."""
    from playlist_assets.render.maps import render_playlist_map

    path = map_path(root, playlist_slug(tracks.playlist.id, tracks.playlist.name))
    if not clustering.clustered:
        path.unlink(missing_ok=True)
        return None
    script = write_shared_script(root)
    html = render_playlist_map(tracks.tracks, features, clustering, tracks.playlist.display_name, relative_link(path, script))
    write_atomically(path, html.encode("utf-8"))
    return path


def write_library_map(root: Path, playlists: Sequence[MappedPlaylist]) -> Path:
    """Write the map of every playlist at the top of ``root`` (and the shared script); its path."""
    from playlist_assets.render.maps import render_library_map

    path = library_map_path(root)
    script = write_shared_script(root)
    write_atomically(path, render_library_map(playlists, relative_link(path, script)).encode("utf-8"))
    return path


def render_page(
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    liked: frozenset,
    image_link: str | None,
    liked_unreadable: str = "",
    map_link: str | None = None,
    paste_files: dict[int, str] | None = None,
) -> str:
    """The playlist's page, its scatter linked as ``image_link`` and its map as ``map_link`` (none when None), with
    what changed since the previous refresh; see ``render_clusters_page``."""
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
        map_link=map_link,
        paste_files=paste_files,
    )


def write_page(
    root: Path,
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    scatter: str | None,
    liked: frozenset,
    liked_unreadable: str = "",
    map_file: str | None = None,
    paste: bool = False,
) -> tuple[Path, str]:
    """Write the playlist's page under ``root``, linking its scatter and its map (paths, or None) relatively; its
    path and text.

    ``paste``: each cluster's tracks also go to a text file beside the page, linked from it (``write_paste_files``).
    The folders written under an earlier name of the playlist are removed.
    """
    slug = playlist_slug(tracks.playlist.id, tracks.playlist.name)
    path = page_path(root, slug)
    image_link = relative_link(path, Path(scatter)) if scatter else None
    map_link = relative_link(path, Path(map_file)) if map_file else None
    clusters = playlist_clusters(tracks.tracks, clustering) if paste and clustering.clustered else {}
    paste_files = write_paste_files(path.parent, clusters)
    page = render_page(tracks, features, clustering, liked, image_link, liked_unreadable, map_link, paste_files)
    write_atomically(path, page.encode("utf-8"))
    remove_playlist_outputs(root, tracks.playlist.id, keep_slug=slug)
    return path, page
