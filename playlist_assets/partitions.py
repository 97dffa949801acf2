"""One partition per playlist, keyed by its Spotify id (never by its name)."""

from __future__ import annotations

import hashlib
import re
import string

import dagster as dg

playlist_partitions = dg.DynamicPartitionsDefinition(name="playlists")

_PLAYLIST_ID = re.compile(r"[0-9A-Za-z]{22}")
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def check_playlist_id(playlist_id: str) -> str:
    """Return the id when it is a Spotify id (22 base62 characters), else raise ValueError."""
    if not _PLAYLIST_ID.fullmatch(playlist_id):
        raise ValueError(f"playlist id {playlist_id!r} is not a Spotify id (22 characters from 0-9, A-Z, a-z)")
    return playlist_id


def base62_id(key: str) -> str:
    """A Spotify-like id (22 base62 characters) derived from ``key``: for playlists that have no Spotify id."""
    number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest(), "big")
    characters = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        characters.append(_BASE62[digit])
    return "".join(characters)
