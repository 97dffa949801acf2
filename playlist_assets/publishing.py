"""What to write so that each cluster of a playlist is a Spotify playlist, from what was last written (pure).

A playlist with two or more clusters gets one private playlist per cluster, named "<playlist> · <cluster name>";
later refreshes update the same playlists in place and write nothing for a cluster whose tracks and name did not
change. The playlist of a cluster that vanished is unfollowed (see docs/publishing.md for why). Without an
account, ``paste_text`` gives a cluster's tracks as Spotify's desktop app takes them by paste.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from playlist_assets.model import Clustering, PlaylistInfo

#: Most track uris one request may put or add (Spotify answers 400 above).
MOST_URIS = 100

#: Longest playlist name Spotify keeps, and longest description.
NAME_LENGTH, DESCRIPTION_LENGTH = 100, 300

#: Says on every playlist written that playlist_assets made it (and finds the playlists a crashed run created).
MADE_BY = "made by playlist_assets"


@dataclass(frozen=True)
class DesiredCluster:
    """A cluster as it should be published: its name and its tracks' uris, in order."""

    name: str
    uris: tuple[str, ...]


@dataclass(frozen=True)
class PublishedCluster:
    """What was last written for one cluster."""

    playlist_id: str
    name: str
    description: str
    token: str  # in its description: finds it again if the run that created it died before recording it
    uris: tuple[str, ...] | None  # None: not known (adopted after a crash, or a write that may have happened)


@dataclass(frozen=True)
class PublishState:
    """What was last written for one source playlist; kept in the instance (see ``writers.publish_state``)."""

    snapshot_id: str = ""  # of the source playlist when it was last published
    clusters: dict[int, PublishedCluster] = field(default_factory=dict)
    pending: dict[int, str] = field(default_factory=dict)  # cluster -> token of a creation not yet confirmed


@dataclass(frozen=True)
class Create:
    cluster: int
    name: str
    uris: tuple[str, ...]


@dataclass(frozen=True)
class Update:
    cluster: int
    playlist_id: str
    name: str
    description: str
    uris: tuple[str, ...] | None  # the new contents; None: the contents stay
    details: bool  # whether name and description are written
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retire:
    """Unfollow the playlist of a cluster that vanished."""

    cluster: int
    playlist_id: str
    name: str


Action = Create | Update | Retire


@dataclass(frozen=True)
class Plan:
    playlist: PlaylistInfo
    actions: tuple[Action, ...]
    unchanged: tuple[int, ...]  # clusters whose playlist is already as it should be


def track_uri(track_id: str) -> str:
    return f"spotify:track:{track_id}"


def desired_clusters(cluster_of: Mapping[str, int], names: Mapping[int, str]) -> dict[int, DesiredCluster]:
    """Each cluster's name and track uris, in the order of ``cluster_of`` (track id -> cluster number, 0 for a
    track not clustered); nothing when there are fewer than two clusters."""
    members: dict[int, list[str]] = {}
    for track_id, cluster in cluster_of.items():
        if cluster:
            members.setdefault(int(cluster), []).append(track_uri(track_id))
    if len(members) < 2:
        return {}
    return {cluster: DesiredCluster(names[cluster], tuple(uris)) for cluster, uris in sorted(members.items())}


def playlist_clusters(tracks: pd.DataFrame, clustering: Clustering) -> dict[int, DesiredCluster]:
    """A clustered playlist's clusters as they should be published: ``tracks`` (a track table) in playlist order."""
    in_order = tracks["position"].sort_values(kind="stable").index
    cluster = clustering.tracks["cluster"]
    cluster_of = {track_id: int(cluster.get(track_id, 0)) for track_id in in_order}
    numbers = {number for number in cluster_of.values() if number}
    return desired_clusters(cluster_of, {number: clustering.names.get(number) or f"Cluster {number}" for number in numbers})


def playlist_name(playlist: PlaylistInfo, cluster_name: str) -> str:
    """"<playlist> · <cluster name>", the playlist's part shortened to keep within Spotify's 100 characters."""
    suffix = f" · {cluster_name}"
    room = NAME_LENGTH - len(suffix)
    base = playlist.display_name
    return (base if len(base) <= room else base[: max(room - 1, 1)] + "…") + suffix


def description(playlist: PlaylistInfo, cluster: int, token: str) -> str:
    """Says what made the playlist and from which snapshot; ends with the token that finds it again."""
    text = (
        f"Cluster #{cluster} of {playlist.display_name}, {MADE_BY} from snapshot {playlist.snapshot_id}. "
        f"Kept up to date: edits here are overwritten."
    )
    tail = f" [{token}]"
    return (text if len(text) + len(tail) <= DESCRIPTION_LENGTH else text[: DESCRIPTION_LENGTH - len(tail) - 1] + "…") + tail


def plan(playlist: PlaylistInfo, desired: Mapping[int, DesiredCluster], state: PublishState) -> Plan:
    """The writes that make Spotify hold ``desired``, given ``state`` (with no pending creation left)."""
    actions: list[Action] = []
    unchanged = []
    for cluster, wanted in sorted(desired.items()):
        name = playlist_name(playlist, wanted.name)
        written = state.clusters.get(cluster)
        if written is None:
            actions.append(Create(cluster, name, wanted.uris))
            continue
        contents = None if written.uris == wanted.uris else wanted.uris
        if contents is None and written.name == name:
            unchanged.append(cluster)
            continue
        text = description(playlist, cluster, written.token)
        details = (name, text) != (written.name, written.description)
        added, removed = _difference(written.uris, wanted.uris) if contents is not None else ((), ())
        actions.append(Update(cluster, written.playlist_id, name, text, contents, details, added, removed))
    for cluster, written in sorted(state.clusters.items()):
        if cluster not in desired:
            actions.append(Retire(cluster, written.playlist_id, written.name))
    return Plan(playlist, tuple(actions), tuple(unchanged))


def chunks(uris: Sequence[str]) -> list[tuple[str, ...]]:
    """``uris`` in requests of at most ``MOST_URIS``: the first replaces the list (even when empty), the rest add."""
    return [tuple(uris[start : start + MOST_URIS]) for start in range(0, max(len(uris), 1), MOST_URIS)]


def write_count(plan: Plan) -> int:
    """The write requests ``plan`` costs when nothing fails."""
    count = 0
    for action in plan.actions:
        if isinstance(action, Create):
            count += 1 + len(chunks(action.uris))
        elif isinstance(action, Update):
            count += action.details + (len(chunks(action.uris)) if action.uris is not None else 0)
        else:
            count += 1
    return count


def plan_metadata(plan: Plan) -> dict[str, int]:
    """The plan in numbers, for the asset's metadata."""
    creates = [a for a in plan.actions if isinstance(a, Create)]
    updates = [a for a in plan.actions if isinstance(a, Update)]
    return {
        "playlists to create": len(creates),
        "playlists to update": len(updates),
        "playlists to unfollow": sum(isinstance(a, Retire) for a in plan.actions),
        "playlists unchanged": len(plan.unchanged),
        "tracks to add": sum(len(a.uris) for a in creates) + sum(len(a.added) for a in updates),
        "tracks to remove": sum(len(a.removed) for a in updates),
        "write requests": write_count(plan),
    }


def plan_text(plan: Plan, track_names: Mapping[str, str] | None = None, shown: int = 5) -> str:
    """The plan in words, one line per playlist to write (and the first ``shown`` tracks added and removed)."""
    lines = []
    for action in plan.actions:
        if isinstance(action, Create):
            lines.append(f"create “{action.name}” with {_tracks(len(action.uris))}")
        elif isinstance(action, Retire):
            lines.append(f"unfollow “{action.name}”: its cluster is gone")
        elif action.uris is None:
            lines.append(f"rename to “{action.name}”")
        elif not action.added and not action.removed:
            lines.append(f"rewrite “{action.name}” with {_tracks(len(action.uris))} (its contents or order changed)")
        else:
            lines.append(
                f"update “{action.name}”: add {_listed(action.added, track_names, shown)}, "
                f"remove {_listed(action.removed, track_names, shown)}"
            )
    head = f"{plan.playlist.display_name}: " + (
        f"{_count(len(lines), 'playlist')} to write, {len(plan.unchanged)} unchanged" if lines else "nothing to write"
    )
    return "\n".join([head, *(f"  - {line}" for line in lines)])


def paste_text(uris: Iterable[str]) -> str:
    """One ``spotify:track:`` uri a line: what Spotify's desktop app takes when pasted into a playlist."""
    return "".join(f"{uri}\n" for uri in uris)


def _difference(old: tuple[str, ...] | None, new: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The uris added and removed from ``old`` to ``new``; none when ``old`` is not known."""
    if old is None:
        return (), ()
    before, after = set(old), set(new)
    return tuple(uri for uri in new if uri not in before), tuple(uri for uri in old if uri not in after)


def _count(count: int, thing: str) -> str:
    return f"{count} {thing}" + ("" if count == 1 else "s")


def _tracks(count: int) -> str:
    return _count(count, "track")


def _listed(uris: Sequence[str], names: Mapping[str, str] | None, shown: int) -> str:
    if not uris:
        return "nothing"
    named = [(names or {}).get(uri, uri) for uri in uris[:shown]]
    more = f" and {len(uris) - shown} more" if len(uris) > shown else ""
    return f"{_tracks(len(uris))} (" + ", ".join(named) + more + ")"
