"""Plain data shared by sources, analysis, rendering and assets."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
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

#: Key of a feature table's ``attrs``: {provider slot: (tracks it knew, tracks it was asked about)}.
ASKED_OF_PROVIDERS = "asked of providers"

#: Key of a provider's answer's ``attrs``: {track id: why the provider has no features for it}.
WHY_MISSING = "why missing"

#: Key of a feature chain's ``attrs``: {provider slot: {track id: why the provider gave it no features}}.
PROVIDER_MISSES = "why providers gave no features"

#: Key of a feature table's ``attrs``: the scale its audio columns are on (``analysis.placement``'s spaces).
AUDIO_SPACE = "audio space"

#: Key of a feature chain's ``attrs``: how many tracks have no audio because a service could not be reached.
UNREACHED_TRACKS = "tracks without audio because a service could not be reached"


def reccobeats_known(features: pd.DataFrame) -> tuple[int, int] | None:
    """(tracks ReccoBeats knew, tracks it was asked about) for a feature table, None when it was asked none."""
    known, asked = features.attrs.get(ASKED_OF_PROVIDERS, {}).get("reccobeats", (0, 0))
    return (known, asked) if asked else None


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
    #: What tells this playlist apart from others whose names read the same (owner, file, short id); "" if none do.
    distinction: str = ""

    @property
    def display_name(self) -> str:
        """The name as people read it: whitespace collapsed and trimmed, then ``distinction`` in parentheses."""
        name = " ".join(self.name.split()) or self.id
        return f"{name} ({self.distinction})" if self.distinction else name


def told_apart(playlists: list[PlaylistInfo], distinction: Callable[[list[PlaylistInfo]], list[str]]) -> list[PlaylistInfo]:
    """``playlists`` with a ``distinction`` for each of those whose names read the same (ignoring case and
    spacing): ``distinction(group)`` gives one text per playlist of such a group."""
    groups: dict[str, list[int]] = defaultdict(list)
    for number, playlist in enumerate(playlists):
        groups[" ".join(playlist.name.casefold().split())].append(number)
    told = list(playlists)
    for numbers in groups.values():
        if len(numbers) > 1:
            texts = distinction([playlists[number] for number in numbers])
            for number, text in zip(numbers, texts):
                told[number] = dataclasses.replace(playlists[number], distinction=text)
    return told


def owners_or_short_ids(group: list[PlaylistInfo]) -> list[str]:
    """Each playlist's owner when no other of the group has it, else the shortest beginning of its id
    (6 characters or more) that none of the others' ids shares."""
    owners = [playlist.owner for playlist in group]
    ids = [playlist.id for playlist in group if not playlist.owner or owners.count(playlist.owner) > 1]
    length = next((n for n in range(6, max(map(len, ids), default=0)) if len({i[:n] for i in ids}) == len(ids)), None)
    return [
        playlist.owner if playlist.id not in ids else playlist.id[:length] if length else playlist.id for playlist in group
    ]


@dataclass(frozen=True)
class PlaylistTracks:
    """The playable tracks of one playlist and a count, by reason, of the items left out."""

    playlist: PlaylistInfo
    tracks: pd.DataFrame  # index "track_id", columns TRACK_COLUMNS
    skipped: dict[str, int] = field(default_factory=dict)  # reason (SKIP_REASONS) -> count
    #: Why the source could not read the playlist's items (e.g. Spotify answers 403); "" when it could.
    unreadable: str = ""


@dataclass(frozen=True)
class PlaylistFailed:
    """A playlist's value in a step over several playlists when it failed in this step or an earlier one."""

    reason: str
    playlist: str = ""  # its name, "" when not known (it failed before its tracks were read)
    snapshot_id: str = ""


@dataclass(frozen=True)
class Axis:
    """One axis of the 2-D scatter: its label in words and the share of variance it carries."""

    label: str  # e.g. "Energetic · Danceable · not Acoustic"
    explained_variance: float  # fraction, 0..1


@dataclass(frozen=True)
class Clustering:
    """The clustering of one playlist's tracks (see ``analysis.cluster_tracks``)."""

    #: Index = the input's track ids, in the input's order. Columns:
    #: cluster (int, 1 = largest, or the number the cluster had in the previous result; 0 when not clustered),
    #: distance (float, to its own centre),
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
    #: Cluster -> its short name ("Acoustic & calm"), kept with the cluster's number across refreshes.
    names: dict[int, str] = field(default_factory=dict)
    #: Numbers of the clusters that vanished at this refresh: the next refresh gives them to no new cluster.
    retired: tuple[int, ...] = ()
    #: What changed since the previous result this one was made with; None without one.
    changes: ClusterChanges | None = None
    #: Track id -> its name, so that the next refresh can name the tracks that left (see ``analysis.with_titles``).
    titles: dict[str, str] = field(default_factory=dict)
    #: The date (ISO, UTC) these clusters were made, stamped by track_clusters; kept by a refresh that changes nothing.
    made_on: str = ""

    @property
    def clustered(self) -> bool:
        return self.k > 0

    def __setstate__(self, state: dict) -> None:
        """A value stored before a field was added gets that field's default."""
        defaults = {
            spec.name: spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
            for spec in dataclasses.fields(self)
            if spec.name not in state
        }
        self.__dict__.update(state, **defaults)


@dataclass(frozen=True)
class ClusterChanges:
    """What changed in a playlist's clusters between two results (see ``analysis.cluster_changes``).

    Track ids are listed nearest their cluster's centre first.
    """

    joined: dict[int, tuple[str, ...]]  # cluster -> tracks in it now that were not in it before (added or moved)
    left: dict[int, tuple[str, ...]]  # cluster of before -> tracks no longer in it (removed or moved)
    appeared: tuple[int, ...]  # clusters that are new
    disappeared: dict[int, str]  # cluster that is gone -> its name
    added: int  # tracks placed now that were not placed before
    removed: int  # tracks placed before that are not placed now
    moved: int  # tracks placed in another cluster than before
    titles: dict[str, str] = field(default_factory=dict)  # names of the tracks that left, as the previous result had them
    since: str = ""  # the previous result's ``made_on``, "" when it has none

    @property
    def empty(self) -> bool:
        """Whether no track changed cluster and no cluster appeared or disappeared."""
        return not (self.added or self.removed or self.moved or self.appeared or self.disappeared)
