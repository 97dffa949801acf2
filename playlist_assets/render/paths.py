"""Where a playlist's page, scatter image and map live (the files are written by ``writers.files``)."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_PART = 40
#: A playlist's interactive map, beside its page; the library's, at the top of the output folder.
MAP_FILE_NAME = "map.html"


def playlist_slug(playlist_id: str, name: str) -> str:
    """A readable folder name for a playlist, unique per id, safe on every file system.

    The ASCII words of the name, accents dropped (at most ``MAX_NAME_PART`` characters), plus 8 hex digits of the
    id's SHA-1 (ids are case-sensitive, so the id itself could collide on case-insensitive file systems).
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.sub(r"[^a-z0-9]+", "_", unaccented).strip("_")
    name_part = words[:MAX_NAME_PART].rstrip("_") or "playlist"
    return f"{name_part}_{slug_suffix(playlist_id)}"


def slug_suffix(playlist_id: str) -> str:
    """The end of every slug of the playlist, whatever its name: 8 hex digits of the id's SHA-1."""
    return hashlib.sha1(playlist_id.encode("utf-8")).hexdigest()[:8]


def page_path(output_dir: Path, slug: str) -> Path:
    """The playlist's clusters page."""
    return output_dir / "playlists" / slug / "clusters.md"


def map_path(output_dir: Path, slug: str) -> Path:
    """The playlist's interactive map, beside its page."""
    return page_path(output_dir, slug).with_name(MAP_FILE_NAME)


def library_map_path(output_dir: Path) -> Path:
    """The interactive map of the whole library."""
    return output_dir / MAP_FILE_NAME


def scatter_path(output_dir: Path, slug: str) -> Path:
    """The playlist's scatter image."""
    return output_dir / "images" / "playlists" / slug / "clusters" / "clusters_scatter.png"


def relative_link(from_file: Path, to_file: Path) -> str:
    """The link from ``from_file`` to ``to_file``, relative to ``from_file``'s folder, with ``/`` separators."""
    return Path(os.path.relpath(to_file, from_file.parent)).as_posix()
