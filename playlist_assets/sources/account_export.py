"""Spotify's "Download your data" account export: ``Playlist1.json`` (``Playlist2.json``...) and ``YourLibrary.json``.

The export has no playlist ids: a playlist's partition key is derived from its name (and, for
playlists of the same name, its rank among them); its snapshot id is a hash of its JSON, so any
change is a change. Items carry only names and a ``trackUri``; older exports carry no URI at all,
so their tracks match nothing and are counted as "track without a URI". Features come from the
feature providers (the export has none).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Container
from pathlib import Path
from typing import Any

from playlist_assets.model import SKIP_REASONS, PlaylistInfo, PlaylistTracks, owners_or_short_ids, told_apart
from playlist_assets.partitions import base62_id
from playlist_assets.sources import web_api
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.exportify import content_hash, track_id_from_uri, track_url

#: Why an item of an older export (no ``trackUri``) is not a track row.
NO_URI = "track without a URI"
#: Why an item that is an audiobook is not a track row.
AUDIOBOOK = "audiobook"

OLD_FORMAT = (
    "this account export is in an older format whose items carry no track URI, so its tracks cannot be "
    "matched to Spotify; request your data again from Spotify for a current export"
)


class AccountExportSource(PlaylistSource):
    """Playlists from the ``Playlist*.json`` files under ``path`` (or the one file ``path`` names);
    Liked Songs from ``YourLibrary.json`` there (none when it is absent)."""

    path: str

    def list_playlists(self) -> list[PlaylistInfo]:
        return [info for info, _ in self._playlists().values()]

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        found = self._playlists().get(playlist_id)
        if found is None:
            raise ValueError(f"No playlist in the account export {self.path} has id {playlist_id} (renamed or removed?)")
        info, doc = found
        return parse_playlist(info, doc, f"{self.path}: playlist {info.name!r}")

    def liked_track_ids(self) -> frozenset[str]:
        root = Path(self.path)
        library = next(iter(sorted(root.rglob("YourLibrary.json"))), None) if root.is_dir() else None
        if library is None:
            return frozenset()
        tracks = _load(library).get("tracks") or []
        uris = [track.get("uri") for track in tracks if isinstance(track, dict)]
        return frozenset(filter(None, (track_id_from_uri(uri) for uri in uris if isinstance(uri, str))))

    def _playlists(self) -> dict[str, tuple[PlaylistInfo, dict]]:
        """Partition key -> (info, playlist JSON), in file order."""
        seen: Counter[str] = Counter()
        playlists = {}
        for file in self._playlist_files():
            docs = _load(file).get("playlists")
            if not isinstance(docs, list):
                raise ValueError(f"{file}: no 'playlists' list")
            for number, doc in enumerate(docs):
                if not isinstance(doc, dict):
                    raise ValueError(f"{file}: playlist #{number} is not an object")
                name = str(doc.get("name") or "")
                key = base62_id(f"account-export:{name}#{seen[name]}")
                seen[name] += 1
                snapshot = content_hash(json.dumps(doc, sort_keys=True, ensure_ascii=False).encode("utf-8"))
                items = doc.get("items")
                total = len(items) if isinstance(items, list) else 0
                playlists[key] = (PlaylistInfo(id=key, name=name, snapshot_id=snapshot, total_items=total), doc)
        told = told_apart([info for info, _ in playlists.values()], owners_or_short_ids)
        return {info.id: (info, playlists[info.id][1]) for info in told}

    def _playlist_files(self) -> list[Path]:
        root = Path(self.path)
        if root.is_file():
            return [root]
        if not root.is_dir():
            raise ValueError(f"Account export {root} does not exist")
        files = sorted(root.rglob("Playlist*.json"), key=lambda f: (f.parent, int(re.sub(r"\D", "", f.stem) or 0)))
        if not files:
            raise ValueError(f"No Playlist1.json under {root}: is it the folder of Spotify's account data export?")
        return files


def parse_playlist(info: PlaylistInfo, doc: dict, where: str) -> PlaylistTracks:
    """The tracks of one playlist of ``Playlist1.json``, and the items left out by reason."""
    items = doc.get("items") or []
    if not isinstance(items, list):
        raise ValueError(f"{where}: 'items' is not a list")
    rows: dict[str, dict] = {}
    skipped: Counter[str] = Counter()
    for position, item in enumerate(items):
        item_where = f"{where}: item {position}"
        reason, track_id = _skip_reason(item, rows.keys(), item_where)
        if reason:
            skipped[reason] += 1
        else:
            rows[track_id] = _track_row(item, track_id, position, item_where)
    reasons = [*SKIP_REASONS, AUDIOBOOK, NO_URI]
    unreadable = OLD_FORMAT if skipped[NO_URI] and not rows else ""
    return PlaylistTracks(
        info, web_api.track_frame(rows), {reason: skipped[reason] for reason in reasons if skipped[reason]}, unreadable
    )


def _skip_reason(item: Any, seen: Container[str], where: str) -> tuple[str | None, str]:
    """(reason the item is not a track row, or None; its track id)."""
    if item is None:
        return "empty item", ""
    if not isinstance(item, dict):
        raise ValueError(f"{where}: not an object")
    track = item.get("track")
    if item.get("localTrack"):
        return "local file", ""
    if item.get("episode"):
        return "episode", ""
    if item.get("audiobook"):
        return AUDIOBOOK, ""
    if not track:
        return "empty item", ""
    if not isinstance(track, dict):
        raise ValueError(f"{where}: 'track' is not an object")
    uri = track.get("trackUri")
    if not uri:
        return NO_URI, ""
    track_id = track_id_from_uri(uri) if isinstance(uri, str) else None
    if track_id is None:
        raise ValueError(f"{where}: trackUri {uri!r} is not a Spotify track URI")
    return ("duplicate" if track_id in seen else None), track_id


def _track_row(item: dict, track_id: str, position: int, where: str) -> dict:
    track = item["track"]
    text = {key: web_api.optional_string(track, key, where) for key in ("trackName", "albumName", "artistName")}
    return {
        "name": text["trackName"],
        "album": text["albumName"],
        "album_art_url": "",
        "artists": (text["artistName"],) if text["artistName"] else (),
        "artist_ids": (),
        "label": "",
        "release_date": "",
        "duration_ms": 0,
        "explicit": False,
        "isrc": "",
        "added_at": web_api.optional_string(item, "addedDate", where),
        "position": position,
        "url": track_url(track_id),
    }


def _load(file: Path) -> dict:
    """A JSON file's top-level object; ValueError naming the file and line when it is not UTF-8 JSON."""
    data = file.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(f"{file}: line {line}: not UTF-8 (byte 0x{data[error.start]:02x})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{file}: line {error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{file}: line 1: not a JSON object")
    return doc
