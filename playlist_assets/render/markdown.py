"""The markdown page of one playlist's clusters."""

from __future__ import annotations

import html
from collections import Counter
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd

from playlist_assets.analysis import not_placed_reasons
from playlist_assets.analysis.placement import audio_coverage
from playlist_assets.analysis.vocabulary import column_name
from playlist_assets.model import ASKED_OF_PROVIDERS, SKIP_REASONS, ClusterChanges, Clustering, PlaylistInfo, reccobeats_known

TABLE_HEADER = "| Art | Track | Album | Artists | Label | 💚 | 🔗 |"
TABLE_SEPARATOR = "|:---|:---|:---|:---|:---|:---|:---|"
SCATTER_ALT = "Scatter of the clusters"
MAP_LINK_TEXT = "Explore the clusters on an interactive map"
SPOTIFY_LINK_PREFIX = "https://open.spotify.com/"
#: Tracks named per cluster in the "Since" section; the rest are counted.
CHANGES_NAMED = 3

_CELL_ESCAPES = str.maketrans(
    {
        **{char: "\\" + char for char in "\\|[]`*_#~"},
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        # Line breaks (everything str.splitlines breaks on) and tabs.
        **{char: " " for char in "\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029"},
    }
)

# Characters kept as they are in a URL; everything else (spaces, |, <, >, ", (, ), [, ], non-ASCII) is %-encoded.
_URL_SAFE = ":/?#@!$&'*+,;=%~"

_IRREGULAR_PLURALS = {"unavailable": "unavailable", "track without a URI": "tracks without a URI"}


def escape_cell(text: str) -> str:
    """``text`` as literal markdown: it cannot break a table or a line, start a link or emphasis, or inject HTML."""
    return text.translate(_CELL_ESCAPES)


def count(n: int, noun: str) -> str:
    """``"1 track"``, ``"2 tracks"``, ``"2 unavailable"``."""
    return f"{n} {noun if n == 1 else _IRREGULAR_PLURALS.get(noun, noun + 's')}"


def _url(url: str) -> str:
    """``url`` %-encoded so it cannot end a markdown link, an HTML attribute or a table cell."""
    return quote(url, safe=_URL_SAFE)


def _art_cell(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        return ""
    return f'<img src="{html.escape(_url(url), quote=True)}" alt="" width="50" />'


def escape_name(name: str) -> str:
    """A cluster's name as literal markdown: as ``escape_cell``, but "Acoustic & calm" keeps its "&" (followed by a
    space, it cannot start an HTML entity)."""
    return escape_cell(name).replace("&amp; ", "& ")


def cluster_title(number: int, name: str) -> str:
    """``"Cluster #2 · Acoustic & calm"`` as literal markdown (``"Cluster #2"`` without a name)."""
    return f"Cluster #{number}" + (f" · {escape_name(name)}" if name else "")


def markdown_link(text: str, target: str) -> str:
    """A markdown link showing ``text`` literally, to ``target`` (a relative path or a URL), %-encoded."""
    return f"[{escape_cell(text)}]({_url(target)})"


def _link_cell(url: str) -> str:
    return f"[🔗]({_url(url)})" if url.startswith(SPOTIFY_LINK_PREFIX) else ""


def _table_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def _track_rows(tracks: pd.DataFrame, liked: frozenset[str]) -> list[str]:
    """Each track's table row, in ``tracks``' order (indexed by track id, with the TRACK_COLUMNS)."""
    columns = (tracks[column].tolist() for column in ("album_art_url", "name", "album", "artists", "label", "url"))
    return [
        _table_row(
            [
                _art_cell(art),
                escape_cell(name),
                escape_cell(album),
                escape_cell(", ".join(artists)),
                escape_cell(label),
                "💚" if track_id in liked else "",
                _link_cell(url),
            ]
        )
        for track_id, art, name, album, artists, label, url in zip(tracks.index.tolist(), *columns)
    ]


def _table(rows: list[str]) -> str:
    return "\n".join([TABLE_HEADER, TABLE_SEPARATOR, *rows])


def _how_clustered(clustering: Clustering) -> list[str]:
    """A sentence on the clustering and one on the scatter's axes."""
    columns = list(clustering.feature_columns)
    named = [column_name(column) for column in columns]
    features = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
    placed = count(len(clustering.tracks), "track")
    lines = [escape_cell(f"{count(clustering.k, 'cluster')} among {placed}, by {features}. {clustering.note.rstrip('.')}.")]
    if clustering.separation:
        lines.append(escape_cell(_separation_sentence(clustering)))
    if clustering.axes:
        x, y = (f"{escape_cell(axis.label)} ({round(axis.explained_variance * 100)} % of variance)" for axis in clustering.axes)
        lines.append(f"Scatter axes: x = {x}; y = {y}.")
    return lines


def _separation_sentence(clustering: Clustering) -> str:
    """How far to trust the clusters, in words, from how separated they are."""
    trust = {
        "well separated": "they are distinct groups",
        "partly separated": "they are groups with blurred edges",
    }.get(clustering.separation, "read them as leanings within one continuous playlist, not as separate groups")
    return f"How distinct the clusters are: {clustering.separation} (silhouette {clustering.score:.2f}, on a scale of -1 to 1); {trust}."


def _cluster_blocks(cluster: int, rows: list[str], clustering: Clustering, top_n: int, paste_file: str = "") -> list[str]:
    """A cluster's heading, size, profile and table (``rows``: its members' rows, nearest its centre first); the size
    links ``paste_file``, its tracks to paste into Spotify, when there is one."""
    size = count(len(rows), "track") + (f" — [as Spotify links, to paste into a playlist]({_url(paste_file)})" if paste_file else "")
    blocks = [f"## {cluster_title(cluster, clustering.names.get(cluster, ''))}", size]
    if clustering.profiles.get(cluster):
        blocks.append(escape_cell(clustering.profiles[cluster]))
    blocks.append(_table(rows[:top_n]))
    if rest := rows[top_n:]:
        blocks.append(f"<details><summary>{count(len(rest), 'more track')}</summary>\n\n{_table(rest)}\n\n</details>")
    return blocks


def _changes_blocks(changes: ClusterChanges, clustering: Clustering, names: dict[str, str]) -> list[str]:
    """The section "Since <date>": per cluster the tracks that joined and left it, the clusters that came or went."""
    title = f"## Since {escape_cell(changes.since)}" if changes.since else "## Since the previous refresh"
    if changes.empty:
        return [title, "No track changed cluster."]
    named = {**changes.titles, **names}
    lines = []
    for number in sorted({*changes.joined, *changes.left}):
        joined, left = changes.joined.get(number, ()), changes.left.get(number, ())
        if number in changes.disappeared:
            name, what = changes.disappeared[number], "gone, it had " + _tracks(count(len(left), "track"), left, named)
        elif number in changes.appeared:
            name, what = clustering.names.get(number, ""), "new, " + _tracks(count(len(joined), "track"), joined, named)
        else:
            name = clustering.names.get(number, "")
            moves = [(f"{len(joined)} joined", joined), (f"{len(left)} left", left)]
            what = "; ".join(_tracks(label, tracks, named) for label, tracks in moves if tracks)
        lines.append(f"- {cluster_title(number, name)}: {what}")
    return [title, "\n".join(lines)]


def _tracks(label: str, track_ids: tuple[str, ...], names: dict[str, str]) -> str:
    """``label`` and, in parentheses, up to ``CHANGES_NAMED`` of the tracks' names and how many more."""
    known = [escape_cell(names[track_id]) for track_id in track_ids if track_id in names][:CHANGES_NAMED]
    if not known:
        return label
    rest = len(track_ids) - len(known)
    return f"{label} (" + ", ".join(known) + (f" and {rest} more)" if rest else ")")


def _left_out(skipped: dict[str, int]) -> str:
    known = [reason for reason in SKIP_REASONS if skipped.get(reason)]
    other = sorted(reason for reason, n in skipped.items() if n and reason not in SKIP_REASONS)
    return ", ".join(count(skipped[reason], reason) for reason in known + other)


def _feature_sources(tracks: pd.DataFrame, features: pd.DataFrame) -> str:
    sources = features.loc[features.index.intersection(tracks.index), "source"].value_counts()
    by_count = sorted(sources.items(), key=lambda source_n: (-source_n[1], source_n[0]))
    return ", ".join(f"{escape_cell(str(source))} {n}" for source, n in by_count) or "none"


def _coverage(placed: int, tracks: pd.DataFrame, features: pd.DataFrame, skipped: dict[str, int]) -> str:
    parts = [f"Coverage: {placed} of {count(len(tracks), 'track')} placed"]
    if left_out := _left_out(skipped):
        parts.append(f"left out: {left_out}")
    if len(tracks):
        parts.append(f"features: {_feature_sources(tracks, features)}")
    if known := reccobeats_known(features):
        parts.append(f"ReccoBeats knew {known[0]} of the {count(known[1], 'track')} asked ({known[0] / known[1]:.0%})")
    if "previews" in features.attrs.get(ASKED_OF_PROVIDERS, {}):  # the audio space and why tracks have no sound
        parts.append(escape_cell(audio_coverage(features)))
    return " · ".join(parts)


def _not_placed_blocks(not_placed: pd.Index, rows: list[str], features: pd.DataFrame, clustering: Clustering) -> list[str]:
    reasons = Counter(not_placed_reasons(features, not_placed, clustering.feature_columns))
    why = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
    return ["## Not placed", f"{count(len(not_placed), 'track')} not placed ({why})", _table(rows)]


def render_clusters_page(
    *,
    playlist: PlaylistInfo,
    tracks: pd.DataFrame,
    features: pd.DataFrame,
    clustering: Clustering,
    liked: frozenset[str],
    image_link: str | None,
    skipped: dict[str, int],
    top_n: int = 10,
    unreadable: str = "",
    liked_unreadable: str = "",
    changes: ClusterChanges | None = None,
    map_link: str | None = None,
    paste_files: dict[int, str] | None = None,
) -> str:
    """The markdown page of ``playlist``: how it was clustered, a table per cluster, what was left out and why.

    ``tracks`` is indexed by track id with the TRACK_COLUMNS; ``features`` is indexed by track id and has a
    ``source`` column; tracks missing from ``clustering.tracks`` are listed as not placed.
    A playlist the source could not read (``unreadable``, the reason) gets a page saying only that.
    ``liked_unreadable``: why Liked Songs could not be read ("" when they could); the page says so in one line.
    ``changes``: what changed since the previous refresh (``changes.since``, its date), shown below the summary; none
    on a first page. ``map_link``: the link to the playlist's interactive map, shown under the scatter (none when None).
    ``paste_files``: cluster -> its text file of tracks to paste into Spotify, linked beside its size.
    """
    name = escape_cell(playlist.display_name)
    if unreadable:
        return f"# Clusters in {name}\n\nNot readable — {escape_cell(unreadable)}\n"
    by_position = tracks["position"].sort_values(kind="stable").index
    row_of = dict(zip(tracks.index, _track_rows(tracks, liked)))
    placed = clustering.tracks[(clustering.tracks["cluster"] >= 1) & clustering.tracks.index.isin(tracks.index)]
    blocks = [f"# Clusters in {name}"]
    if clustering.clustered:
        if image_link:
            blocks.append(f"![{SCATTER_ALT}]({_url(image_link)})")
        if map_link:
            blocks.append(markdown_link(MAP_LINK_TEXT, map_link))
        blocks += _how_clustered(clustering)
        if changes is not None:
            blocks += _changes_blocks(changes, clustering, dict(zip(tracks.index, tracks["name"])))
        nearest_first = placed.sort_values("rank", kind="stable")
        clusters, members = nearest_first["cluster"].to_numpy(), nearest_first.index.to_numpy()
        for cluster in np.unique(clusters):
            rows = [row_of[track_id] for track_id in members[clusters == cluster]]
            blocks += _cluster_blocks(int(cluster), rows, clustering, top_n, (paste_files or {}).get(int(cluster), ""))
        not_placed = by_position[~by_position.isin(placed.index)]
        if len(not_placed):
            blocks += _not_placed_blocks(not_placed, [row_of[track_id] for track_id in not_placed], features, clustering)
    else:
        why = clustering.note if len(tracks) else "this playlist has no playable tracks"
        blocks.append(f"Not clustered — {escape_cell(why)}")
        if changes is not None:
            blocks += _changes_blocks(changes, clustering, dict(zip(tracks.index, tracks["name"])))
        if len(tracks):
            blocks.append(_table([row_of[track_id] for track_id in by_position]))
    blocks.append(_coverage(len(placed), tracks, features, skipped))
    if liked_unreadable:
        blocks.append(f"Liked Songs could not be read: {escape_cell(liked_unreadable)}; hearts are missing")
    return "\n\n".join(blocks) + "\n"
