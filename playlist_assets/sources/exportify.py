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

import dataclasses
import hashlib
import math
import re
from collections import Counter
from collections.abc import Container
from pathlib import Path

import pandas as pd

from playlist_assets.model import SKIP_REASONS, PlaylistInfo, PlaylistTracks, told_apart
from playlist_assets.partitions import base62_id
from playlist_assets.sources import web_api
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.exportify_csv import UNESCAPED_QUOTE, Record, read_records
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
    "artist_uris": ("artist uri(s)", "artist uris", "artist ids"),
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
        return [dataclasses.replace(info, snapshot_id=content_hash(file.read_bytes())) for info, file in self._named()]

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        found = next(((info, file) for info, file in self._named() if info.id == playlist_id), None)
        if found is None:
            raise ValueError(f"No CSV file under {self.path} has playlist id {playlist_id} (renamed or removed?)")
        info, file = found
        data = file.read_bytes()
        tracks, skipped, total = parse_exportify_csv(data, str(file))
        return PlaylistTracks(dataclasses.replace(info, snapshot_id=content_hash(data), total_items=total), tracks, skipped)

    def liked_track_ids(self) -> frozenset[str]:
        liked = [file for file in self._files().values() if file.name.casefold() == LIKED_SONGS_FILE]
        return frozenset(
            track_id for file in liked for track_id in parse_exportify_csv(file.read_bytes(), str(file))[0].index
        )

    def _named(self) -> list[tuple[PlaylistInfo, Path]]:
        """Each file's playlist (no snapshot yet), files whose names read the same told apart by their paths."""
        files = self._files()
        paths = {key: file.relative_to(self.path).as_posix() for key, file in files.items()}
        infos = [PlaylistInfo(id=key, name=_playlist_name(file), snapshot_id="") for key, file in files.items()]
        return [(info, files[info.id]) for info in told_apart(infos, lambda same: [paths[p.id] for p in same])]

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
    that are not UTF-8, a quote that is never closed (quotes Exportify did not escape are read as it meant them).
    """
    try:
        records = read_records(_decoded(data, where))
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    if not records:
        raise ValueError(f"{where}: line 1: the file is empty (no header)")
    header = _header_as_the_rows_have_it(records[0].fields, records[1:])
    fields = _fields(header, f"{where}: line 1")
    cells_by_row = []
    for record in records[1:]:
        if any(cell.strip() for cell in record.fields):
            row_where = f"{where}: line {record.line}"
            if len(record.fields) < len(header) or any(cell.strip() for cell in record.fields[len(header) :]):
                cause = UNESCAPED_QUOTE if record.repaired else f"{len(record.fields)} fields, the header has {len(header)}"
                raise ValueError(f"{row_where}: {cause}")
            cells = {field: record.fields[fields[field]].strip() if field in fields else "" for field in _HEADER_NAMES}
            cells_by_row.append((row_where, cells))
    semicolons = "artist_uris" not in fields and any(";" in cells["artists"] for _, cells in cells_by_row)
    rows: dict[str, dict] = {}
    skipped: Counter[str] = Counter()
    for position, (row_where, cells) in enumerate(cells_by_row):
        reason, track_id = _skip_reason(cells["uri"], rows.keys(), row_where)
        if reason:
            skipped[reason] += 1
        else:
            rows[track_id] = _track_row(cells, track_id, position, semicolons, row_where)
    frame = web_api.track_frame(rows)
    extras = pd.DataFrame({c: [row[c] for row in rows.values()] for c in EXTRA_COLUMNS}, index=frame.index)
    tracks = pd.concat([frame, extras.astype({c: "str" if c == "genres" else "float64" for c in EXTRA_COLUMNS})], axis=1)
    return tracks, {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]}, len(cells_by_row)


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
    names = [_header_name(name) for name in header]
    fields = {}
    for field, aliases in _HEADER_NAMES.items():
        index = next((i for i, name in enumerate(names) if name in aliases), None)
        if index is not None:
            fields[field] = index
    if "uri" not in fields:
        shown = ", ".join(name.strip() for name in header[:6]) + (", ..." if len(header) > 6 else "")
        raise ValueError(f"{where}: no track column (Track URI or Track ID) in the header: {shown}")
    return fields


def _header_name(name: str) -> str:
    """A header name as compared: case folded, whitespace collapsed (Exportify padded some with tabs)."""
    return " ".join(name.strip().lstrip("\ufeff").casefold().split())


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


def _track_row(cells: dict[str, str], track_id: str, position: int, semicolons: bool, where: str) -> dict:
    """One row of the track table, with ``EXTRA_COLUMNS``, from the row's cells by field ("" when absent)."""
    artist_uris = [uri.strip() for uri in cells["artist_uris"].split(",") if uri.strip()]
    return {
        "name": cells["name"],
        "album": cells["album"],
        "album_art_url": cells["album_art_url"],
        "artists": _artists(cells["artists"], len(artist_uris) if cells["artist_uris"] else None, semicolons),
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


def _artists(text: str, count: int | None, semicolons: bool) -> tuple[str, ...]:
    """The artists of an ``Artist Name(s)`` cell, as each Exportify version joined them.

    Since 2025-07 Exportify joins them with ";" (``semicolons``: some row of the file does). Before, with a
    column of artist URIs or ids giving their ``count``: watsonbox's ", " (a comma in a name escaped "\\,")
    or pavelkomarov's bare ",", whichever gives that count. Without that column (pavelkomarov 2024-2025):
    a heuristic, split on commas that no space follows, so that "Peggy Lee,Oliver Wallace" is two artists
    and "Tyler, The Creator" one.
    """
    if semicolons:
        return _names(text.split(";"))
    by_bare_comma = _names(re.split(r"(?<!\\),(?! )", text))
    if count is None or len(by_bare_comma) == count:
        return by_bare_comma
    by_comma_space = _names(re.split(r"(?<!\\), ", text))
    return by_comma_space if len(by_comma_space) == count else by_bare_comma


def _names(parts: list[str]) -> tuple[str, ...]:
    return tuple(name.replace("\\,", ",").strip() for name in parts if name.strip())


def _header_as_the_rows_have_it(header: list[str], rows: list[Record]) -> list[str]:
    """The header without its repeated column names when every row lacks them (Exportify named "Explicit"
    twice on 2025-05-23), else as it is."""
    names = [_header_name(name) for name in header]
    once = [name for number, name in enumerate(header) if names[number] not in names[:number]]
    filled = [row for row in rows if any(cell.strip() for cell in row.fields)]
    if len(once) < len(header) and filled and all(len(row.fields) == len(once) for row in filled):
        return once
    return header


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
