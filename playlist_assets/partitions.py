"""One partition per playlist, keyed by a name a person can read and type; the playlist's Spotify id stays its identity.

A playlist's key is its page folder's name (``render.paths.playlist_slug``): the ASCII words of its name and 8 hex
digits of its id's hash, such as ``international_pop_d8ae6175``. Only a-z, 0-9 and ``_``: nothing of Dagster's
partition syntax (commas, brackets, ``...``). The key follows the name: a renamed playlist gets a new key, its old
partition is deleted and the new one added. Whatever needs the id (fetching the playlist, a clustering's history,
the pages of a playlist gone) finds it in the instance's key-value storage, where the sensor and the command line
record each key's id when they add its partition (``add_playlist_partitions``).
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable

import dagster as dg

from playlist_assets.model import PlaylistInfo
from playlist_assets.render.paths import playlist_slug

playlist_partitions = dg.DynamicPartitionsDefinition(name="playlists")

#: Prefix of each key's entry in the instance's key-value storage (beside the daemons' cursors); its value is the id.
ID_ENTRY = "playlist_assets/playlist_id/"

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


def playlist_key(playlist: PlaylistInfo) -> str:
    """The playlist's partition key."""
    return playlist_slug(playlist.id, playlist.name)


def record_playlist_ids(instance: dg.DagsterInstance, playlists: Iterable[PlaylistInfo]) -> list[str]:
    """Record each playlist's id under its key (a key always names the same id); the keys, in order."""
    ids = {playlist_key(playlist): playlist.id for playlist in playlists}
    if ids:
        instance.run_storage.set_cursor_values({ID_ENTRY + key: playlist_id for key, playlist_id in ids.items()})
    return list(ids)


def add_playlist_partitions(instance: dg.DagsterInstance, playlists: Iterable[PlaylistInfo]) -> list[str]:
    """Add the playlists' partitions, their ids recorded; their keys, in order."""
    keys = record_playlist_ids(instance, playlists)
    instance.add_dynamic_partitions(playlist_partitions.name, keys)
    return keys


def playlist_ids(instance: dg.DagsterInstance, keys: Iterable[str]) -> dict[str, str]:
    """Partition key -> playlist id, for the keys whose id was recorded, in one query.

    A key that is a Spotify id itself (partitions were keyed by id before they were keyed by name) is its own id.
    """
    wanted = set(keys)
    recorded = instance.run_storage.get_cursor_values({ID_ENTRY + key for key in wanted}) if wanted else {}
    ids = {entry.removeprefix(ID_ENTRY): playlist_id for entry, playlist_id in recorded.items()}
    return {key: ids.get(key) or key for key in wanted if key in ids or _PLAYLIST_ID.fullmatch(key)}
