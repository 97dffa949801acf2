"""Parsing of Spotify Web API JSON, shared by the demo source and the live source.

Every function takes ``get_json(url) -> dict``, which returns the JSON document at an absolute URL
(the demo answers from memory, the live source over HTTP), and is otherwise pure.
Malformed documents raise ``ValueError`` naming the playlist (or the URL) and what was wrong.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from playlist_assets.model import SKIP_REASONS, TRACK_COLUMNS, PlaylistInfo, PlaylistTracks

API_ROOT = "https://api.spotify.com/v1"

#: Largest page the API serves for playlists, playlist items and saved tracks.
PAGE_LIMIT = 50

#: Most track ids one ``/audio-features`` request accepts.
AUDIO_FEATURES_BATCH = 100

#: Columns of the frame returned by ``audio_features`` (all float).
AUDIO_FEATURE_COLUMNS = (
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "tempo",
    "loudness",
)

GetJson = Callable[[str], dict]

_NON_STRING_DTYPES = {
    "artists": "object",
    "artist_ids": "object",
    "duration_ms": "int64",
    "explicit": "bool",
    "position": "int64",
}
_TRACK_DTYPES = {column: _NON_STRING_DTYPES.get(column, "str") for column in TRACK_COLUMNS}


def iter_pages(get_json: GetJson, url: str) -> Iterator[Any]:
    """Yield each item of a paging object, following its absolute ``next`` links until null."""
    seen = set()
    while url is not None:
        if url in seen:
            raise ValueError(f"{url}: paging loops back to a page already read")
        seen.add(url)
        page = get_json(url)
        items = page.get("items") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise ValueError(f"{url}: not a paging object (no 'items' list)")
        yield from items
        url = page.get("next")
        if url is not None and not isinstance(url, str):
            raise ValueError(f"{page.get('href', 'page')}: 'next' is neither a URL nor null")


def list_playlists(get_json: GetJson, api_root: str = API_ROOT) -> list[PlaylistInfo]:
    """The current user's playlists, from ``/me/playlists`` (null entries are left out)."""
    url = f"{api_root}/me/playlists?limit={PAGE_LIMIT}"
    return [
        _playlist_info(doc, f"{url}: playlist #{number}")
        for number, doc in enumerate(iter_pages(get_json, url))
        if doc is not None
    ]


def fetch_playlist(get_json: GetJson, playlist_id: str, api_root: str = API_ROOT) -> PlaylistTracks:
    """One playlist's playable tracks (first occurrence of each) and the count of the other items by reason."""
    info = fetch_playlist_info(get_json, playlist_id, api_root)
    return fetch_playlist_items(get_json, info, api_root)[0]


#: The fields of ``/playlists/{id}`` that make a ``PlaylistInfo`` (not its first page of items).
PLAYLIST_INFO_FIELDS = "id,name,snapshot_id,collaborative,owner(id,display_name),items(total),tracks(total)"


def fetch_playlist_info(
    get_json: GetJson, playlist_id: str, api_root: str = API_ROOT, without_items: bool = False
) -> PlaylistInfo:
    """The playlist object of ``/playlists/{id}``; ``without_items``: asked for without its first page of items."""
    fields = f"?fields={PLAYLIST_INFO_FIELDS}" if without_items else ""
    return _playlist_info(get_json(f"{api_root}/playlists/{playlist_id}{fields}"), f"playlist {playlist_id}")


def fetch_playlist_items(
    get_json: GetJson, info: PlaylistInfo, api_root: str = API_ROOT
) -> tuple[PlaylistTracks, dict[str, str]]:
    """The playlist's tracks from ``/playlists/{id}/items``, and each track's album id ("" when it has none)."""
    where = f"playlist {info.id}"
    rows: dict[str, dict] = {}
    album_ids: dict[str, str] = {}
    skipped: Counter[str] = Counter()
    position = -1
    for position, item in enumerate(iter_pages(get_json, f"{api_root}/playlists/{info.id}/items?limit={PAGE_LIMIT}")):
        item_where = f"{where}: item {position}"
        entity = _entity(item, item_where)
        reason = _skip_reason(item, entity, rows.keys(), item_where)
        if reason:
            skipped[reason] += 1
        else:
            rows[entity["id"]] = _track_row(item, entity, position, item_where)
            album_ids[entity["id"]] = optional_string(entity["album"], "id", f"{item_where}: album")
    playlist = dataclasses.replace(info, total_items=position + 1)
    skipped_by_reason = {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]}
    return PlaylistTracks(playlist, track_frame(rows), skipped_by_reason), album_ids


def track_frame(rows: dict[str, dict]) -> pd.DataFrame:
    """A track table (index ``track_id``, columns ``TRACK_COLUMNS``, stable dtypes) from rows keyed by track id."""
    index = pd.Index(list(rows), name="track_id", dtype="str")
    columns = {column: [row[column] for row in rows.values()] for column in TRACK_COLUMNS}
    return pd.DataFrame(columns, index=index, columns=list(TRACK_COLUMNS)).astype(_TRACK_DTYPES)


def liked_track_ids(get_json: GetJson, api_root: str = API_ROOT) -> frozenset[str]:
    """Ids of the tracks in the user's Liked Songs, from ``/me/tracks``."""
    url = f"{api_root}/me/tracks?limit={PAGE_LIMIT}"
    ids = set()
    for number, item in enumerate(iter_pages(get_json, url)):
        where = f"{url}: saved track #{number}"
        if not isinstance(item, dict):
            raise ValueError(f"{where} is not an object")
        track = _entity(item, where)
        if isinstance(track, dict) and isinstance(track.get("id"), str) and not track.get("is_local"):
            ids.add(track["id"])
    return frozenset(ids)


def audio_features(get_json: GetJson, track_ids: Iterable[str], api_root: str = API_ROOT) -> pd.DataFrame:
    """Audio features of the given tracks from ``/audio-features`` (index ``track_id``, ``AUDIO_FEATURE_COLUMNS``).

    Tracks the endpoint answers with null are absent from the frame.
    """
    unique_ids = list(dict.fromkeys(track_ids))
    rows: dict[str, list[float]] = {}
    for start in range(0, len(unique_ids), AUDIO_FEATURES_BATCH):
        url = f"{api_root}/audio-features?ids={','.join(unique_ids[start:start + AUDIO_FEATURES_BATCH])}"
        doc = get_json(url)
        entries = doc.get("audio_features") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            raise ValueError(f"{url}: no 'audio_features' list")
        for number, entry in enumerate(entries):
            if entry is not None:
                track_id, values = _feature_row(entry, f"{url}: entry #{number}")
                rows[track_id] = values
    index = pd.Index(list(rows), name="track_id", dtype="str")
    return pd.DataFrame(list(rows.values()), index=index, columns=list(AUDIO_FEATURE_COLUMNS), dtype="float64")


def _playlist_info(doc: Any, where: str) -> PlaylistInfo:
    """A ``PlaylistInfo`` from a simplified or full playlist object."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: not a playlist object")
    owner = doc.get("owner") or {}
    if not isinstance(owner, dict):
        raise ValueError(f"{where}: 'owner' is not an object")
    summary = doc.get("items") or doc.get("tracks") or {}
    total = summary.get("total", 0) if isinstance(summary, dict) else 0
    if not isinstance(total, int):
        raise ValueError(f"{where}: items 'total' is not an integer")
    return PlaylistInfo(
        id=_string(doc, "id", where),
        name=_string(doc, "name", where),
        snapshot_id=_string(doc, "snapshot_id", where),
        owner=owner.get("display_name") or owner.get("id") or "",
        total_items=total,
        owner_id=owner.get("id") or "",
        collaborative=doc.get("collaborative") is True,
    )


def _entity(item: Any, where: str) -> Any:
    """The track or episode of a playlist item: ``item``, else its deprecated alias ``track``."""
    if item is None:
        return None
    if not isinstance(item, dict):
        raise ValueError(f"{where}: not a playlist item object")
    entity = item.get("item")
    return entity if entity is not None else item.get("track")


def _skip_reason(item: Any, entity: Any, seen_ids: Iterable[str], where: str) -> str | None:
    """Why a playlist item (with its ``_entity``) is not a track row (one of ``SKIP_REASONS``), or None."""
    if entity is None:
        return "empty item"
    if not isinstance(entity, dict):
        raise ValueError(f"{where}: the track is not an object")
    if item.get("is_local") or entity.get("is_local"):
        return "local file"
    # Without additional_types=episode the API sends episodes as track objects flagged "episode": true.
    if entity.get("type") == "episode" or entity.get("episode") is True:
        return "episode"
    track_id = entity.get("id")
    if entity.get("type", "track") != "track" or track_id is None or entity.get("is_playable") is False:
        return "unavailable"
    if not isinstance(track_id, str):
        raise ValueError(f"{where}: track 'id' is not a string")
    return "duplicate" if track_id in seen_ids else None


def _track_row(item: dict, track: dict, position: int, where: str) -> dict:
    """One row of the track table (the columns ``TRACK_COLUMNS``) from a playlist item and its track."""
    album = track.get("album")
    if not isinstance(album, dict):
        raise ValueError(f"{where}: track {track['id']} has no 'album' object")
    artists = track.get("artists")
    if not isinstance(artists, list) or not all(isinstance(artist, dict) for artist in artists):
        raise ValueError(f"{where}: track {track['id']} has no 'artists' list of objects")
    duration = track.get("duration_ms")
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise ValueError(f"{where}: track {track['id']} has no integer 'duration_ms'")
    return {
        "name": _string(track, "name", where),
        "album": _string(album, "name", f"{where}: album"),
        "album_art_url": _largest_image_url(album.get("images"), f"{where}: album"),
        "artists": tuple(_string(artist, "name", f"{where}: artist") for artist in artists),
        "artist_ids": tuple(optional_string(artist, "id", f"{where}: artist") for artist in artists),
        "label": optional_string(album, "label", f"{where}: album"),
        "release_date": optional_string(album, "release_date", f"{where}: album"),
        "duration_ms": duration,
        "explicit": bool(track.get("explicit", False)),
        "isrc": optional_string(track.get("external_ids") or {}, "isrc", f"{where}: external_ids"),
        "added_at": optional_string(item, "added_at", where),
        "position": position,
        "url": optional_string(track.get("external_urls") or {}, "spotify", f"{where}: external_urls"),
    }


def _largest_image_url(images: Any, where: str) -> str:
    """URL of the largest image of an image list (the first when sizes are unknown), "" when there is none."""
    if not images:
        return ""
    if not isinstance(images, list) or not all(isinstance(image, dict) for image in images):
        raise ValueError(f"{where}: 'images' is not a list of objects")
    largest = max(images, key=lambda image: (image.get("width") or 0) * (image.get("height") or 0))
    return optional_string(largest, "url", f"{where}: image")


def _feature_row(entry: Any, where: str) -> tuple[str, list[float]]:
    """Track id and ``AUDIO_FEATURE_COLUMNS`` values of one audio-features object."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: not an audio-features object")
    values = []
    for column in AUDIO_FEATURE_COLUMNS:
        value = entry.get(column)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"{where}: '{column}' is missing or not a number")
        values.append(float(value))
    return _string(entry, "id", where), values


def optional_string(doc: Any, key: str, where: str) -> str:
    """``doc[key]``, which must be a string when present; "" when absent or null."""
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: not an object")
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{key}' is not a string")
    return value


def _string(doc: dict, key: str, where: str) -> str:
    """``doc[key]``, which must be a string."""
    value = doc.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{key}' is missing or not a string")
    return value
