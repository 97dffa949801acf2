"""The library's index page: one row per playlist, with its state and a link to its page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from playlist_assets.render.markdown import count, escape_cell, escape_name, markdown_link
from playlist_assets.render.paths import relative_link

PAGE_WRITTEN = "page written"
NOT_CLUSTERED = "not clustered"
FAILED = "failed"
UNREADABLE = "unreadable"
LEFT_OUT = "left out"
NOT_REFRESHED = "not refreshed yet"
STATES = (PAGE_WRITTEN, NOT_CLUSTERED, FAILED, UNREADABLE, LEFT_OUT, NOT_REFRESHED)

INDEX_HEADER = "| Playlist | State | Tracks | Clusters | Coverage | Features | Refreshed | Snapshot |"
INDEX_SEPARATOR = "|:---|:---|---:|:---|---:|:---|:---|:---|"
#: Snapshot ids longer than this are shortened in the table (the full id is in the UI).
SNAPSHOT_SHOWN = 16
LIBRARY_MAP_TEXT = "Explore every playlist on one interactive map"


@dataclass(frozen=True)
class IndexRow:
    """What the index says about one playlist (``key`` is its partition key, "" for a playlist left out)."""

    name: str
    state: str  # one of the states above
    key: str = ""
    reason: str = ""  # why not clustered, failed, unreadable or left out
    page: Path | None = None  # its page on disk, when one exists (a failed playlist's previous page)
    tracks: int | None = None
    placed: int | None = None
    k: int = 0
    separation: str = ""
    sources: dict[str, int] = field(default_factory=dict)  # feature source -> tracks
    refreshed: float | None = None  # POSIX time of the page's latest materialization
    snapshot_id: str = ""
    cluster_names: dict[int, str] = field(default_factory=dict)  # cluster -> its name


def index_path(output_dir: Path) -> Path:
    """The index page of the library."""
    return output_dir / "index.md"


def sorted_rows(rows: list[IndexRow]) -> list[IndexRow]:
    """The rows by name (case-insensitive), then by key, so that equal names keep one order."""
    return sorted(rows, key=lambda row: (row.name.casefold(), row.name, row.key))


def shown_names(rows: list[IndexRow]) -> list[str]:
    """Each row's name as shown, with the partition key after a name that more than one playlist has."""
    shared = Counter(row.name for row in rows)
    return [f"{row.name} ({row.key})" if shared[row.name] > 1 and row.key else row.name for row in rows]


def state_text(row: IndexRow) -> str:
    """The state in words: ``"failed: 403 Forbidden (previous page kept)"``."""
    text = f"{row.state}: {row.reason}" if row.reason else row.state
    if row.state == FAILED and row.page is not None:
        text += " (previous page kept)"
    return text


def _clusters(row: IndexRow) -> str:
    """The number of clusters, how separated they are, and their names, as literal markdown."""
    if not row.k:
        return ""
    text = escape_cell(f"{row.k}, {row.separation}" if row.separation else str(row.k))
    names = ", ".join(f"#{number} {escape_name(name)}" for number, name in sorted(row.cluster_names.items()))
    return f"{text}: {names}" if names else text


def _sources(sources: dict[str, int]) -> str:
    by_count = sorted(sources.items(), key=lambda source_n: (-source_n[1], source_n[0]))
    return ", ".join(f"{source} {n}" for source, n in by_count)


def _refreshed(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC") if timestamp else ""


def _snapshot(snapshot_id: str) -> str:
    return snapshot_id if len(snapshot_id) <= SNAPSHOT_SHOWN else snapshot_id[:SNAPSHOT_SHOWN] + "…"


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _coverage(row: IndexRow) -> str:
    return f"{row.placed} / {row.tracks}" if row.placed is not None and row.tracks is not None else ""


def _cell(text: str) -> str:
    return f" {text} " if text else " "


def render_index(rows: list[IndexRow], index_file: Path, library_map: Path | None = None) -> str:
    """The index page, written at ``index_file``: a summary line, the link to ``library_map`` (the library's map,
    when there is one) and one table row per playlist, sorted by name.

    Names and reasons are escaped as on the pages; a page is linked relatively from ``index_file``.
    """
    ordered = sorted_rows(rows)
    states = Counter(row.state for row in ordered)
    summary = ", ".join(f"{state}: {states[state]}" for state in STATES if states[state])
    lines = [INDEX_HEADER, INDEX_SEPARATOR]
    for row, name in zip(ordered, shown_names(ordered)):
        playlist = markdown_link(name, relative_link(index_file, row.page)) if row.page else escape_cell(name)
        cells = [
            playlist,
            escape_cell(state_text(row)),
            _number(row.tracks),
            _clusters(row),
            _coverage(row),
            escape_cell(_sources(row.sources)),
            _refreshed(row.refreshed),
            escape_cell(_snapshot(row.snapshot_id)),
        ]
        lines.append("|" + "|".join(map(_cell, cells)) + "|")
    intro = f"{count(len(ordered), 'playlist')}" + (f": {summary}." if summary else ".")
    link = [markdown_link(LIBRARY_MAP_TEXT, relative_link(index_file, library_map))] if library_map else []
    return "\n\n".join(["# Playlists", intro, *link, "\n".join(lines)]) + "\n"
