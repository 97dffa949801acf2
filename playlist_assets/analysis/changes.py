"""What changed in a playlist's clusters between two results (pure functions)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from playlist_assets.model import ClusterChanges, Clustering


def cluster_changes(previous: Clustering, current: Clustering) -> ClusterChanges:
    """The tracks that joined and left each cluster, and the clusters that appeared and disappeared.

    Clusters are matched by number (``cluster_features`` keeps a cluster's number across refreshes).
    """
    before, after = _placed(previous), _placed(current)
    left = _differences(before, after)
    named = [track_id for tracks in left.values() for track_id in tracks if track_id in previous.titles]
    return ClusterChanges(
        joined=_differences(after, before),
        left=left,
        appeared=tuple(sorted(set(after.values()) - set(before.values()))),
        disappeared={
            number: previous.names.get(number, "") for number in sorted(set(before.values()) - set(after.values()))
        },
        added=len(after.keys() - before.keys()),
        removed=len(before.keys() - after.keys()),
        moved=sum(1 for track_id, number in after.items() if before.get(track_id, number) != number),
        titles={track_id: previous.titles[track_id] for track_id in sorted(named)},
        since=previous.made_on,
    )


#: The names of the counts ``change_counts`` gives.
CHANGE_COUNTS = ("tracks added", "tracks removed", "tracks moved", "clusters appeared", "clusters disappeared")


def change_counts(changes: ClusterChanges) -> dict[str, int]:
    """The changes in numbers (named as ``CHANGE_COUNTS``), for an asset's metadata."""
    counts = (changes.added, changes.removed, changes.moved, len(changes.appeared), len(changes.disappeared))
    return dict(zip(CHANGE_COUNTS, counts))


def with_titles(clustering: Clustering, tracks: pd.DataFrame) -> Clustering:
    """``clustering`` holding the names (``tracks``' ``name`` column) of its tracks, for the next refresh to name
    those that left."""
    names = tracks["name"].reindex(clustering.tracks.index).dropna()
    return dataclasses.replace(clustering, titles=dict(zip(names.index, names.astype(str))))


def _placed(clustering: Clustering) -> dict[str, int]:
    """Track id -> cluster of the placed tracks, nearest their centre first (ties by id)."""
    if not clustering.clustered:
        return {}
    tracks = clustering.tracks
    placed = zip(tracks.index, tracks["cluster"].tolist(), tracks["rank"].tolist())
    return {track_id: number for track_id, number, rank in sorted((t for t in placed if t[1] >= 1), key=lambda t: (t[2], t[0]))}


def _differences(ours: dict[str, int], theirs: dict[str, int]) -> dict[int, tuple[str, ...]]:
    """Cluster of ``ours`` -> its tracks that ``theirs`` has elsewhere or not at all, in ``ours``' order."""
    different: dict[int, list[str]] = {}
    for track_id, number in ours.items():
        if theirs.get(track_id) != number:
            different.setdefault(number, []).append(track_id)
    return {number: tuple(different[number]) for number in sorted(different)}
