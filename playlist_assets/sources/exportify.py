"""A folder of Exportify CSVs (searched recursively), one playlist per file.

A file's partition key is the playlist id when its name is one (``<id>.csv``), else an id derived
from its path inside the folder; its snapshot id is the hash of its bytes, so any edit is a change.
The playlist's name is the file name with Exportify's underscores turned back into spaces.
Columns are found by name (any order, any case, padded or not; older names such as a bare
``Track ID`` or ``Track Duration (ms)`` too); missing columns are empty. The audio-feature columns,
``Popularity`` and ``Genres`` are extra columns of the track table (``features.ExportFeatures`` reads
the audio columns). A bad file raises an error naming the file and line when its playlist is fetched;
listing only hashes the files, so a bad file is still listed and the other files go on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Container
from pathlib import Path

import pandas as pd

from playlist_assets.model import SKIP_REASONS, PlaylistInfo, PlaylistTracks
from playlist_assets.partitions import base62_id
from playlist_assets.sources import web_api
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

#: Extra columns of an Exportify track table besides ``model.TRACK_COLUMNS`` (floats NaN when empty).
EXTRA_COLUMNS = ("genres", "popularity", *AUDIO_FEATURE_COLUMNS)

#: A file with this name (any case) is Liked Songs: its tracks get the heart on every page.
LIKED_SONGS_FILE = "liked_songs.csv"

#: Field -> the header names it goes by (compared case-insensitively, whitespace collapsed).
_HEADER_NAMES = {
    "uri": ("track uri", "spotify uri", "uri", "track id", "spotify id", "id"),
    "name": ("track name", "name", "track", "title"),
    "album": ("album name", "album"),
    "artists": ("artist name(s)", "artist names", "artist name", "artists", "artist"),
    "artist_uris": ("artist uri(s)", "artist uris"),
    "release_date": ("release date", "album release date"),
    "duration_ms": ("duration (ms)", "track duration (ms)", "duration_ms"),
    "explicit": ("explicit", "explicit?"),
    "added_at": ("added at",),
    "genres": ("genres", "artist genres"),
    "label": ("record label", "label"),
    "isrc": ("isrc",),
    "album_art_url": ("album image url",),
    "popularity": ("popularity",),
    **{column: (column,) for column in AUDIO_FEATURE_COLUMNS},
}
_NUMBER_FIELDS = ("popularity", *AUDIO_FEATURE_COLUMNS)
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")

_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
_TRACK_URI = re.compile(r"spotify:track:([0-9A-Za-z]{22})|https?://open\.spotify\.com/track/([0-9A-Za-z]{22})(?:\?.*)?")


class ExportifySource(PlaylistSource):
    """Playlists from the Exportify CSVs under ``path``; Liked Songs from any ``Liked_Songs.csv`` there."""

    path: str

    def list_playlists(self) -> list[PlaylistInfo]:
        return [_file_info(key, file) for key, file in self._files().items()]

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        file = self._files().get(playlist_id)
        if file is None:
            raise ValueError(f"No CSV file under {self.path} has playlist id {playlist_id} (renamed or removed?)")
        data = file.read_bytes()
        tracks, skipped, total = parse_exportify_csv(data, str(file))
        info = PlaylistInfo(id=playlist_id, name=_playlist_name(file), snapshot_id=content_hash(data), total_items=total)
        return PlaylistTracks(info, tracks, skipped)

    def liked_track_ids(self) -> frozenset[str]:
        liked = [file for file in self._files().values() if file.name.casefold() == LIKED_SONGS_FILE]
        return frozenset(
            track_id for file in liked for track_id in parse_exportify_csv(file.read_bytes(), str(file))[0].index
        )

    def _files(self) -> dict[str, Path]:
        """Partition key -> CSV file, for every ``*.csv`` under ``path`` (a name that is an id keys its file,
        unless two files share it)."""
        root = Path(self.path)
        if not root.is_dir():
            raise ValueError(f"Exportify folder {root} does not exist or is not a folder")
        files = sorted(f for f in root.rglob("*") if f.suffix.casefold() == ".csv" and f.is_file())
        named = Counter(f.stem for f in files if is_spotify_id(f.stem))
        return {
            f.stem if named.get(f.stem) == 1 else base62_id(f"exportify:{f.relative_to(root).as_posix()}"): f
            for f in files
        }


def parse_exportify_csv(data: bytes, where: str) -> tuple[pd.DataFrame, dict[str, int], int]:
    """The track table (``TRACK_COLUMNS`` + ``EXTRA_COLUMNS``), the items left out by reason, and the number of items.

    ``where`` names the file in errors, which also give the line: a header without a track id column,
    a row with more or fewer fields than the header, a cell that is not what its column holds, bytes
    that are not UTF-8.
    """
    text = _decoded(data, where)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{where}: line 1: the file is empty (no header)")
        fields = _fields(header, f"{where}: line 1")
        rows: dict[str, dict] = {}
        skipped: Counter[str] = Counter()
        position = 0
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                row_where = f"{where}: line {line}"
                if len(record) < len(header) or any(cell.strip() for cell in record[len(header) :]):
                    raise ValueError(f"{row_where}: {len(record)} fields, the header has {len(header)}")
                cells = {field: record[fields[field]].strip() if field in fields else "" for field in _HEADER_NAMES}
                reason, track_id = _skip_reason(cells["uri"], rows.keys(), row_where)
                if reason:
                    skipped[reason] += 1
                else:
                    rows[track_id] = _track_row(cells, track_id, position, "artist_uris" in fields, row_where)
                position += 1
            line = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"{where}: line {reader.line_num}: not valid CSV ({error})") from None
    frame = web_api.track_frame(rows)
    extras = pd.DataFrame({c: [row[c] for row in rows.values()] for c in EXTRA_COLUMNS}, index=frame.index)
    tracks = pd.concat([frame, extras.astype({c: "str" if c == "genres" else "float64" for c in EXTRA_COLUMNS})], axis=1)
    return tracks, {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]}, position


def content_hash(data: bytes) -> str:
    """The snapshot id of a file's content: 32 hex digits of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:32]


def is_spotify_id(text: str) -> bool:
    return _SPOTIFY_ID.fullmatch(text) is not None


def track_id_from_uri(text: str) -> str | None:
    """The track id in ``spotify:track:<id>``, an open.spotify.com track link or a bare id; None otherwise."""
    if is_spotify_id(text):
        return text
    match = _TRACK_URI.fullmatch(text)
    return (match.group(1) or match.group(2)) if match else None


def track_url(track_id: str) -> str:
    return f"https://open.spotify.com/track/{track_id}"


def _file_info(key: str, file: Path) -> PlaylistInfo:
    return PlaylistInfo(id=key, name=_playlist_name(file), snapshot_id=content_hash(file.read_bytes()))


def _playlist_name(file: Path) -> str:
    """Exportify writes "My Mix" as ``My_Mix.csv``."""
    return file.stem.replace("_", " ")


def _decoded(data: bytes, where: str) -> str:
    """``data`` as UTF-8 text without its byte-order mark; ValueError naming the line of a byte that is not UTF-8."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        line = body[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{where}: line {line}: not UTF-8 (byte 0x{body[error.start]:02x}); export it again or save it as UTF-8"
        ) from None


def _fields(header: list[str], where: str) -> dict[str, int]:
    """Field -> index of its column in ``header`` (first match); ValueError when there is no track id column."""
    names = [" ".join(name.strip().lstrip("\ufeff").casefold().split()) for name in header]
    fields = {}
    for field, aliases in _HEADER_NAMES.items():
        index = next((i for i, name in enumerate(names) if name in aliases), None)
        if index is not None:
            fields[field] = index
    if "uri" not in fields:
        shown = ", ".join(name.strip() for name in header[:6]) + (", ..." if len(header) > 6 else "")
        raise ValueError(f"{where}: no track column (Track URI or Track ID) in the header: {shown}")
    return fields


def _skip_reason(uri: str, seen: Container[str], where: str) -> tuple[str | None, str]:
    """(reason the row is not a track, or None; its track id)."""
    if not uri:
        return "empty item", ""  # Exportify writes a playlist item without a track as an empty URI, "undefined" name
    if uri.startswith("spotify:local:"):
        return "local file", ""
    if uri.startswith("spotify:episode:"):
        return "episode", ""
    track_id = track_id_from_uri(uri)
    if track_id is None:
        raise ValueError(f"{where}: {uri!r} is not a Spotify track URI or id")
    return ("duplicate" if track_id in seen else None), track_id


def _track_row(cells: dict[str, str], track_id: str, position: int, old_format: bool, where: str) -> dict:
    """One row of the track table, with ``EXTRA_COLUMNS``, from the row's cells by field ("" when absent)."""
    artist_uris = [uri.strip() for uri in cells["artist_uris"].split(",") if uri.strip()]
    return {
        "name": cells["name"],
        "album": cells["album"],
        "album_art_url": cells["album_art_url"],
        "artists": _artists(cells["artists"], old_format),
        "artist_ids": tuple(uri.rpartition(":")[2] for uri in artist_uris),
        "label": cells["label"],
        "release_date": cells["release_date"],
        "duration_ms": _integer(cells["duration_ms"], "duration", where),
        "explicit": _boolean(cells["explicit"], where),
        "isrc": cells["isrc"],
        "added_at": cells["added_at"],
        "position": position,
        "url": track_url(track_id),
        "genres": cells["genres"],
        **{field: _number(cells[field], field, where) for field in _NUMBER_FIELDS},
    }


def _artists(text: str, old_format: bool) -> tuple[str, ...]:
    """Exportify separates artists with ";"; its older format (with Artist URI(s)) used ", " and escaped "\\,"."""
    if not old_format:
        return tuple(name.strip() for name in text.split(";") if name.strip())
    names = re.split(r"(?<!\\), ", text)
    return tuple(name.replace("\\,", ",").strip() for name in names if name.strip())


def _integer(text: str, what: str, where: str) -> int:
    """A whole number of a cell (``0`` when empty: unknown)."""
    number = _number(text, what, where)
    return 0 if math.isnan(number) else int(number)


def _number(text: str, what: str, where: str) -> float:
    """A cell's number, NaN when empty."""
    if not text:
        return math.nan
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{where}: {what} {text!r} is not a finite number")
    return number


def _boolean(text: str, where: str) -> bool:
    if text.casefold() in _TRUE:
        return True
    if text.casefold() in _FALSE:
        return False
    raise ValueError(f"{where}: explicit {text!r} is neither true nor false")
