"""What the instance records about each playlist's page, typed: written by clusters_page, read back by the index,
the sensors, the checks and the command line.

A page written is a materialization of clusters_page whose metadata is a ``PageRecord``; a playlist that failed
is an observation of clusters_page whose metadata is its ``PlaylistFailed``. The metadata keys are the words the
Dagster UI shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from playlist_assets.analysis.changes import CHANGE_COUNTS
from playlist_assets.model import PlaylistFailed
from playlist_assets.render.index import NOT_CLUSTERED, PAGE_WRITTEN

CLUSTERS_PAGE = dg.AssetKey("clusters_page")

LIKED_UNREADABLE = "could not be read: "


@dataclass(frozen=True)
class PageRecord:
    """One page as written: the metadata of a materialization of clusters_page."""

    playlist: str  # the name as people read it
    playlist_id: str  # its Spotify id; "" in records of partitions keyed by the id itself
    path: str
    state: str  # "page written", "not clustered" or "unreadable" (see render.index)
    k: int
    silhouette: float | None
    separation: str
    tracks: int | None  # None in records that did not count them
    placed: int | None
    snapshot_id: str
    feature_sources: dict[str, int] = field(default_factory=dict)  # feature source -> tracks
    reccobeats_share: float | None = None  # of the tracks asked of ReccoBeats, those it knew; None when none were
    why_not_clustered: str | None = None  # None when clustered
    liked_unreadable: str = ""  # why Liked Songs could not be read, "" when they were
    preview: str = ""  # the page as the UI's markdown preview shows it
    cluster_names: dict[int, str] = field(default_factory=dict)  # cluster -> its name
    since: str = ""  # the date of the refresh the page's "Since" section counts from; "" when it has none
    changes: dict[str, int] = field(default_factory=dict)  # what changed since then, counted (``CHANGE_COUNTS``)
    unreached: int = 0  # tracks without audio because a service could not be reached: the next refresh asks again

    def to_metadata(self) -> dict[str, Any]:
        """The materialization's metadata, in the order the UI lists it."""
        metadata = {
            "playlist": self.playlist,
            "playlist_id": self.playlist_id,
            "path": dg.MetadataValue.path(self.path),
            "state": self.state,
            "k": self.k,
            "silhouette": self.silhouette,
            "separation": self.separation,
            "coverage": f"{self.placed} of {self.tracks} tracks placed",
            "tracks": self.tracks,
            "placed": self.placed,
            "snapshot_id": self.snapshot_id,
            "feature sources": dg.MetadataValue.json(self.feature_sources),
            "cluster names": dg.MetadataValue.json({str(number): name for number, name in self.cluster_names.items()}),
        }
        if self.since:
            metadata["changes since"] = self.since
        metadata.update(self.changes)
        if self.reccobeats_share is not None:
            metadata["reccobeats share"] = self.reccobeats_share
        if self.unreached:
            metadata["service not reached for"] = self.unreached
        metadata["page"] = dg.MetadataValue.md(self.preview)
        if self.why_not_clustered is not None:
            metadata["why not clustered"] = self.why_not_clustered
        if self.liked_unreadable:
            metadata["liked songs"] = LIKED_UNREADABLE + self.liked_unreadable
        return metadata

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, dg.MetadataValue]) -> PageRecord:
        """The record of a materialization's metadata; fields an older record lacks take their defaults."""
        values = {name: entry.value for name, entry in metadata.items()}
        k = values.get("k") or 0
        return cls(
            playlist=values.get("playlist", ""),
            playlist_id=values.get("playlist_id", ""),
            path=values.get("path", ""),
            state=values.get("state") or (PAGE_WRITTEN if k else NOT_CLUSTERED),
            k=k,
            silhouette=values.get("silhouette"),
            separation=values.get("separation", ""),
            tracks=values.get("tracks"),
            placed=values.get("placed"),
            snapshot_id=values.get("snapshot_id", ""),
            feature_sources=values.get("feature sources") or {},
            reccobeats_share=values.get("reccobeats share"),
            why_not_clustered=values.get("why not clustered"),
            liked_unreadable=values.get("liked songs", "").removeprefix(LIKED_UNREADABLE),
            preview=values.get("page", ""),
            cluster_names={int(number): name for number, name in (values.get("cluster names") or {}).items()},
            since=values.get("changes since", ""),
            changes={name: values[name] for name in CHANGE_COUNTS if name in values},
            unreached=values.get("service not reached for", 0),
        )

    @classmethod
    def from_event_record(cls, record: dg.EventLogRecord) -> PageRecord:
        return cls.from_metadata(record.asset_materialization.metadata)


def failure_observation(key: str, failed: PlaylistFailed, asset_key: dg.AssetKey = CLUSTERS_PAGE) -> dg.AssetObservation:
    """What records a playlist's failure on its partition of clusters_page (or of ``asset_key``)."""
    metadata = {"playlist": failed.playlist, "failed": failed.reason, "snapshot_id": failed.snapshot_id}
    return dg.AssetObservation(asset_key=asset_key, partition=key, metadata=metadata)


def failure_from_metadata(metadata: Mapping[str, dg.MetadataValue]) -> PlaylistFailed:
    """The failure an observation of clusters_page records."""
    values = {name: entry.value for name, entry in metadata.items()}
    return PlaylistFailed(values.get("failed", ""), values.get("playlist", ""), values.get("snapshot_id", ""))
