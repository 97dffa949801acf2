"""One partition per playlist: its tracks, their features, their clusters, a scatter and a page.

Each asset reads its inputs, calls the pure core (sources, analysis, render) for each playlist of its step
and records metadata per playlist. A step covers one playlist (a run from the UI, the sensor or a test) or
several (a backfill, which ``BACKFILL_POLICY`` splits into runs of up to ``PARTITIONS_PER_RUN`` playlists);
a step over several playlists passes and receives dicts keyed by playlist id (see ``storage.py``).

A playlist that fails is that playlist's alone (see ``for_each_playlist`` and ``clusters_page``): the others
of its run get their pages in that same run, and it keeps its previous page, is not recorded as materialized
(its clusters_page partition shows as failed), and its reason is logged and recorded on clusters_page.
"""

import base64
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pandas as pd

from playlist_assets.analysis import cluster_features
from playlist_assets.assets.checks import PAGE_CHECK_SPECS, check_results, page_problems
from playlist_assets.assets.each_playlist import ByPlaylist, PlaylistFailed, each_playlist, for_each_playlist
from playlist_assets.assets.liked import LikedSongsUnreadable
from playlist_assets.assets.settings import (
    BACKFILL_POLICY,
    GROUP,
    NETWORK_RETRY_POLICY,
    SPOTIFY_POOL,
    retried_only_when_transient,
)
from playlist_assets.features import FeatureProvider
from playlist_assets.model import Clustering, PlaylistTracks, reccobeats_known
from playlist_assets.page_record import CLUSTERS_PAGE, PageRecord, failure_observation
from playlist_assets.partitions import check_playlist_id, playlist_partitions
from playlist_assets.render.preview import ui_preview
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.writers.files import write_page, write_scatter

#: Settings of every asset of the per-playlist chain.
PER_PLAYLIST = {"partitions_def": playlist_partitions, "backfill_policy": BACKFILL_POLICY, "group_name": GROUP}
CALLS_SERVICES = {"pool": SPOTIFY_POOL, "retry_policy": NETWORK_RETRY_POLICY}


def reccobeats_share(features: pd.DataFrame) -> dict:
    """``{"reccobeats share": the share of the tracks asked of ReccoBeats that it knew}``; {} when none were asked."""
    known = reccobeats_known(features)
    return {"reccobeats share": round(known[0] / known[1], 4)} if known else {}


def _column_schema(tracks: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in tracks.dtypes.items()])


@dg.asset(**PER_PLAYLIST, **CALLS_SERVICES, kinds={"spotify", "pandas"})
def raw_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> Iterator:
    """The playlist's playable tracks; local files, episodes, empty items and duplicates are counted, not kept."""

    def fetch(playlist_id: str) -> tuple[PlaylistTracks, dict]:
        playlist = source.fetch_playlist(check_playlist_id(playlist_id))
        return playlist, {
            "playlist": playlist.playlist.display_name,
            "snapshot_id": playlist.playlist.snapshot_id,
            "dagster/row_count": len(playlist.tracks),
            "left out": dg.MetadataValue.json(playlist.skipped),
            "dagster/column_schema": _column_schema(playlist.tracks),
        }

    def totals(playlists: dict[str, PlaylistTracks]) -> dict:
        return {"run: playlists": len(playlists), "run: tracks": sum(len(p.tracks) for p in playlists.values())}

    with retried_only_when_transient():
        yield from for_each_playlist(context, fetch, totals, calls_spotify=True)


@dg.asset(**PER_PLAYLIST, **CALLS_SERVICES, kinds={"pandas"})
def track_features(context: dg.AssetExecutionContext, raw_tracks: ByPlaylist, features: FeatureProvider) -> Iterator:
    """Numeric features per track, with a ``source`` column saying where they came from."""

    def look_up(_: str, raw_tracks: PlaylistTracks) -> tuple[pd.DataFrame, dict]:
        found = features.features(raw_tracks.tracks)
        return found, {
            "dagster/row_count": len(found),
            "sources": dg.MetadataValue.json(found["source"].value_counts().to_dict()),
            "tracks without features": len(raw_tracks.tracks) - len(found),
            **reccobeats_share(found),
        }

    def totals(found: dict[str, pd.DataFrame]) -> dict:
        return {"run: playlists": len(found), "run: tracks with features": sum(map(len, found.values()))}

    with retried_only_when_transient():
        yield from for_each_playlist(context, look_up, totals, calls_spotify=True, raw_tracks=raw_tracks)


@dg.asset(**PER_PLAYLIST, kinds={"scikitlearn"})
def track_clusters(context: dg.AssetExecutionContext, track_features: ByPlaylist) -> Iterator:
    """Cluster per track, distance to its centre and 2-D projection; the chosen k and its silhouette."""

    def cluster(_: str, track_features: pd.DataFrame) -> tuple[Clustering, dict]:
        clustering = cluster_features(track_features)
        return clustering, {
            "k": clustering.k,
            "silhouette": clustering.score,
            "separation": clustering.separation,
            "how k was chosen": clustering.note,
            "silhouette by k": dg.MetadataValue.json({str(k): round(s, 4) for k, s in clustering.scores.items()}),
            "dagster/row_count": len(clustering.tracks),
        }

    def totals(clusterings: dict[str, Clustering]) -> dict:
        by_k = Counter(str(clustering.k) for clustering in clusterings.values())
        return {"run: playlists": len(clusterings), "run: playlists by k": dg.MetadataValue.json(dict(sorted(by_k.items())))}

    yield from for_each_playlist(context, cluster, totals, track_features=track_features)


@dg.asset(**PER_PLAYLIST, kinds={"matplotlib"})
def clusters_scatter(
    context: dg.AssetExecutionContext, raw_tracks: ByPlaylist, track_clusters: ByPlaylist, output: OutputFolder
) -> Iterator:
    """The clusters on the 2-D projection, as a PNG beside the pages (its path); none when not clustered.

    A run of one playlist also shows the image inline; a backfill run records only its path.
    """
    inline = len(context.partition_keys) == 1

    def draw(_: str, raw_tracks: PlaylistTracks, track_clusters: Clustering) -> tuple[str | None, dict]:
        path, png = write_scatter(output.root, raw_tracks, track_clusters)
        if png is None:
            return None, {"image": "none: " + track_clusters.note}
        metadata = {"path": dg.MetadataValue.path(str(path))}
        if inline:
            image = base64.b64encode(png).decode("ascii")
            metadata["scatter"] = dg.MetadataValue.md(f"![Clusters](data:image/png;base64,{image})")
        return str(path), metadata

    def totals(paths: dict[str, str | None]) -> dict:
        return {"run: playlists": len(paths), "run: images": sum(path is not None for path in paths.values())}

    yield from for_each_playlist(context, draw, totals, raw_tracks=raw_tracks, track_clusters=track_clusters)


@dg.asset(**PER_PLAYLIST, kinds={"markdown"}, check_specs=PAGE_CHECK_SPECS, output_required=False)
def clusters_page(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist,
    track_features: ByPlaylist,
    track_clusters: ByPlaylist,
    clusters_scatter: ByPlaylist,
    liked_tracks: Any,  # frozenset, or LikedSongsUnreadable
    output: OutputFolder,
) -> Iterator:
    """The page "Clusters in *playlist*": each cluster's size and most representative tracks (its path).

    Every materialization, in a backfill too, also shows the page as a markdown preview ("page").
    The page checks run on each page as soon as it is written. When playlists of the step failed (here or in
    an earlier step), the others are recorded as materialized one by one, each failure is recorded (see
    ``failure_observation``), and the step then fails naming them, so that the run, its backfill and the failed
    partitions show as failed and "re-execute" tries them again; their previous pages stay as they were.
    """
    liked_unreadable = liked_tracks.reason if isinstance(liked_tracks, LikedSongsUnreadable) else ""
    liked = frozenset() if liked_unreadable else liked_tracks

    def write(
        _: str, raw_tracks: PlaylistTracks, track_features: pd.DataFrame, track_clusters: Clustering, clusters_scatter: str | None
    ) -> tuple[str, dict, dict[str, list[str]]]:
        path, page = write_page(
            output.root, raw_tracks, track_features, track_clusters, clusters_scatter, liked, liked_unreadable
        )
        placed = len(track_clusters.tracks) if track_clusters.clustered else 0
        why_not = None
        if not track_clusters.clustered:
            why_not = raw_tracks.unreadable or (track_clusters.note if len(raw_tracks.tracks) else "no playable tracks")
        record = PageRecord(
            playlist=raw_tracks.playlist.display_name,
            path=str(path),
            state=_state(raw_tracks, track_clusters),
            k=track_clusters.k,
            silhouette=track_clusters.score,
            separation=track_clusters.separation,
            tracks=len(raw_tracks.tracks),
            placed=placed,
            snapshot_id=raw_tracks.playlist.snapshot_id,
            feature_sources=track_features["source"].value_counts().to_dict(),
            reccobeats_share=reccobeats_share(track_features).get("reccobeats share"),
            why_not_clustered=why_not,
            liked_unreadable=liked_unreadable,
            preview=ui_preview(page),
        )
        metadata = record.to_metadata()
        return str(path), metadata, page_problems(path, output.root, raw_tracks, track_clusters)

    inputs = {
        "raw_tracks": raw_tracks,
        "track_features": track_features,
        "track_clusters": track_clusters,
        "clusters_scatter": clusters_scatter,
    }
    written, failed, problems = {}, {}, {}
    for item in each_playlist(context, write, False, inputs):
        if isinstance(item, dg.AssetObservation):
            yield item
            continue
        key, result = item
        if isinstance(result, PlaylistFailed):
            failed[key] = result
        else:
            path, metadata, found = result
            written[key] = (path, metadata)
            problems[key] = (metadata["playlist"], found)
    yield from _page_materializations(context, written, all_written=not failed)
    yield from check_results(context, problems)
    for key, failure in failed.items():
        yield failure_observation(key, failure)
    if failed:
        named = "; ".join(f"{failure.playlist or key} ({key}): {failure.reason}" for key, failure in failed.items())
        raise dg.Failure(
            f"{len(failed)} of {len(context.partition_keys)} playlists failed, their pages kept as they were: {named}",
            allow_retries=False,
        )


def _state(tracks: PlaylistTracks, clustering: Clustering) -> str:
    """The page's state for the index: "unreadable", "page written" or "not clustered"."""
    if tracks.unreadable:
        return "unreadable"
    return "page written" if clustering.clustered else "not clustered"


def _page_materializations(
    context: dg.AssetExecutionContext, written: dict[str, tuple[str, dict]], all_written: bool
) -> Iterator[dg.Output | dg.AssetMaterialization]:
    """The pages' output when every playlist of the step was written, else a materialization per written page.

    Dagster records an output as materialized for every partition of the step: a playlist that failed must not be.
    """
    if not written:
        return
    if not all_written:
        for key, (_, metadata) in written.items():
            yield dg.AssetMaterialization(asset_key=CLUSTERS_PAGE, partition=key, metadata=metadata)
    elif len(written) == 1:
        [(path, metadata)] = written.values()
        yield dg.Output(path, metadata=metadata)
    else:
        for key, (_, metadata) in written.items():
            context.add_asset_metadata(metadata, partition_key=key)
        yield dg.Output({key: path for key, (path, _) in written.items()})
