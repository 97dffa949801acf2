"""Plain data shared by sources, analysis, rendering and assets."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Columns of a playlist's track table (the index is ``track_id``).
TRACK_COLUMNS = (
    "name",  # str
    "album",  # str
    "album_art_url",  # str, "" when the album has no image
    "artists",  # tuple[str, ...]
    "artist_ids",  # tuple[str, ...]
    "label",  # str, "" when the source does not give one
    "release_date",  # str as Spotify gives it: "2019", "2019-05" or "2019-05-17"
    "duration_ms",  # int
    "explicit",  # bool
    "isrc",  # str, "" when unknown
    "added_at",  # str, ISO 8601 as Spotify gives it, "" when unknown
    "position",  # int, 0-based position of the first occurrence in the playlist
    "url",  # str, the track's open.spotify.com link, "" when the source has none
)

#: Reasons a playlist item is not a track row.
SKIP_REASONS = ("local file", "episode", "unavailable", "empty item", "duplicate")


@dataclass(frozen=True)
class PlaylistInfo:
    """A playlist as listed by ``/me/playlists``."""

    id: str
    name: str
    snapshot_id: str
    owner: str = ""  # display name (or id) of the owner
    total_items: int = 0
    owner_id: str = ""
    collaborative: bool = False


@dataclass(frozen=True)
class PlaylistTracks:
    """The playable tracks of one playlist and a count, by reason, of the items left out."""

    playlist: PlaylistInfo
    tracks: pd.DataFrame  # index "track_id", columns TRACK_COLUMNS
    skipped: dict[str, int] = field(default_factory=dict)  # reason (SKIP_REASONS) -> count
    #: Why the source could not read the playlist's items (e.g. Spotify answers 403); "" when it could.
    unreadable: str = ""


@dataclass(frozen=True)
class Axis:
    """One axis of the 2-D scatter: its label in words and the share of variance it carries."""

    label: str  # e.g. "Energetic · Danceable · not Acoustic"
    explained_variance: float  # fraction, 0..1


@dataclass(frozen=True)
class Clustering:
    """The clustering of one playlist's tracks (see ``analysis.cluster_tracks``)."""

    #: Index = the input's track ids, in the input's order. Columns:
    #: cluster (int, 1 = largest; 0 when not clustered), distance (float, to its own centre),
    #: x, y (float, the 2-D projection), rank (int, 1 = nearest its centre within its cluster).
    tracks: pd.DataFrame
    k: int  # number of clusters; 0 when the playlist was not clustered
    score: float | None  # quality (silhouette) of the chosen k; None when k < 2
    scores: dict[int, float]  # quality per candidate k
    feature_columns: tuple[str, ...]
    axes: tuple[Axis, Axis] | None  # None when not clustered
    centres: pd.DataFrame  # index cluster, columns x, y (centres in the 2-D projection)
    profiles: dict[int, str]  # cluster -> what sets it apart, in words
    note: str  # how k was chosen, or why the playlist was not clustered
    #: How separated the clusters are, in plain words ("well separated", "overlapping tendencies"); "" when k < 2.
    separation: str = ""

    @property
    def clustered(self) -> bool:
        return self.k > 0
