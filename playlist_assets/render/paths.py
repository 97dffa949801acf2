"""Where a playlist's page and scatter image live, and how to write them safely."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path

MAX_NAME_PART = 40


def playlist_slug(playlist_id: str, name: str) -> str:
    """A readable folder name for a playlist, unique per id, safe on every file system.

    The ASCII words of the name, accents dropped (at most ``MAX_NAME_PART`` characters), plus 8 hex digits of the
    id's SHA-1 (ids are case-sensitive, so the id itself could collide on case-insensitive file systems).
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.sub(r"[^a-z0-9]+", "_", unaccented).strip("_")
    name_part = words[:MAX_NAME_PART].rstrip("_") or "playlist"
    return f"{name_part}_{_id_suffix(playlist_id)}"


def _id_suffix(playlist_id: str) -> str:
    return hashlib.sha1(playlist_id.encode("utf-8")).hexdigest()[:8]


def page_path(output_dir: Path, slug: str) -> Path:
    """The playlist's clusters page."""
    return output_dir / "playlists" / slug / "clusters.md"


def scatter_path(output_dir: Path, slug: str) -> Path:
    """The playlist's scatter image."""
    return output_dir / "images" / "playlists" / slug / "clusters" / "clusters_scatter.png"


def remove_playlist_outputs(output_dir: Path, playlist_id: str, keep_slug: str | None = None) -> list[Path]:
    """Delete the playlist's page and image folders, except those of ``keep_slug``; return what was deleted.

    Folders are found by the id's hash suffix, so folders written under an earlier name of the playlist go too.
    """
    suffix = "_" + _id_suffix(playlist_id)
    removed = []
    for parent in (output_dir / "playlists", output_dir / "images" / "playlists"):
        for folder in sorted(parent.glob(f"*{suffix}")):
            if folder.is_dir() and folder.name != keep_slug:
                shutil.rmtree(folder)
                removed.append(folder)
    return removed


def relative_link(from_file: Path, to_file: Path) -> str:
    """The link from ``from_file`` to ``to_file``, relative to ``from_file``'s folder, with ``/`` separators."""
    return Path(os.path.relpath(to_file, from_file.parent)).as_posix()


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
