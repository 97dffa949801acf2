"""clusters_page: each playlist's page, the end of its chain, checked as soon as it is written.

What it records about each page is a ``PageRecord`` (read back by the index, the sensors and the command line); a
playlist that failed, here or earlier in the run, is recorded as its ``PlaylistFailed`` (see ``page_record.py``).
"""

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd

from playlist_assets.analysis import change_counts
from playlist_assets.assets.checks import PAGE_CHECK_SPECS, check_results, page_problems
from playlist_assets.assets.each_playlist import ByPlaylist, playlist_results
from playlist_assets.assets.liked import LIKED_SONGS, LikedSongs, LikedSongsUnreadable
from playlist_assets.assets.maps import MAP_PATHS
from playlist_assets.assets.playlists import CLUSTERINGS, FEATURES, SCATTER_PATHS, TRACKS, reccobeats_share
from playlist_assets.assets.settings import BACKFILL_POLICY, GROUP
from playlist_assets.model import UNREACHED_TRACKS, Clustering, PlaylistFailed, PlaylistTracks
from playlist_assets.page_record import CLUSTERS_PAGE, PageRecord, failure_observation
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.index import NOT_CLUSTERED, PAGE_WRITTEN, UNREADABLE
from playlist_assets.render.preview import ui_preview
from playlist_assets.resources import OutputFolder
from playlist_assets.writers.files import write_page


def page_record(
    path: Path, page: str, tracks: PlaylistTracks, features: pd.DataFrame, clustering: Clustering, liked_unreadable: str
) -> PageRecord:
    """What is recorded about the page ``page`` written at ``path``."""
    why_not_clustered = None
    if not clustering.clustered:
        why_not_clustered = tracks.unreadable or (clustering.note if len(tracks.tracks) else "no playable tracks")
    changes = clustering.changes
    state = UNREADABLE if tracks.unreadable else PAGE_WRITTEN if clustering.clustered else NOT_CLUSTERED
    return PageRecord(
        playlist=tracks.playlist.display_name,
        playlist_id=tracks.playlist.id,
        path=str(path),
        state=state,
        k=clustering.k,
        silhouette=clustering.score,
        separation=clustering.separation,
        tracks=len(tracks.tracks),
        placed=len(clustering.tracks) if clustering.clustered else 0,
        snapshot_id=tracks.playlist.snapshot_id,
        feature_sources=features["source"].value_counts().to_dict(),
        reccobeats_share=reccobeats_share(features),
        why_not_clustered=why_not_clustered,
        liked_unreadable=liked_unreadable,
        preview=ui_preview(page),
        cluster_names=clustering.names,
        since=changes.since if changes else "",
        changes=change_counts(changes) if changes else {},
        unreached=features.attrs.get(UNREACHED_TRACKS, 0),
    )


def write_playlist_page(
    root: Path,
    liked: LikedSongs,
    raw_tracks: PlaylistTracks,
    track_features: pd.DataFrame,
    track_clusters: Clustering,
    clusters_scatter: str | None,
    clusters_map: str | None,
    paste: bool = False,
) -> tuple[PageRecord, dict[str, list[str]]]:
    """Write the playlist's page under ``root`` (``paste``: with its clusters' tracks to paste into Spotify beside it):
    what to record about it, and what each page check finds wrong."""
    liked_unreadable = liked.reason if isinstance(liked, LikedSongsUnreadable) else ""
    hearts = frozenset() if liked_unreadable else liked
    path, page = write_page(
        root, raw_tracks, track_features, track_clusters, clusters_scatter, hearts, liked_unreadable, clusters_map, paste
    )
    record = page_record(path, page, raw_tracks, track_features, track_clusters, liked_unreadable)
    return record, page_problems(path, root, raw_tracks, track_clusters)


def page_materializations(
    context: dg.AssetExecutionContext, written: dict[str, PageRecord], all_written: bool
) -> Iterator[dg.Output | dg.AssetMaterialization]:
    """The pages' output when every playlist of the step was written, else a materialization per written page.

    Dagster records an output as materialized for every partition of the step: a playlist that failed must not be.
    """
    if not written:
        return
    if not all_written:
        for key, record in written.items():
            yield dg.AssetMaterialization(asset_key=CLUSTERS_PAGE, partition=key, metadata=record.to_metadata())
    elif len(written) == 1:
        [record] = written.values()
        yield dg.Output(record.path, metadata=record.to_metadata())
    else:
        for key, record in written.items():
            context.add_asset_metadata(record.to_metadata(), partition_key=key)
        yield dg.Output({key: record.path for key, record in written.items()})


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    kinds={"markdown"},
    check_specs=PAGE_CHECK_SPECS,
    output_required=False,
    ins={
        "raw_tracks": TRACKS,
        "track_features": FEATURES,
        "track_clusters": CLUSTERINGS,
        "clusters_scatter": SCATTER_PATHS,
        "clusters_map": MAP_PATHS,
        "liked_tracks": LIKED_SONGS,
    },
)
def clusters_page(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist[PlaylistTracks],
    track_features: ByPlaylist[pd.DataFrame],
    track_clusters: ByPlaylist[Clustering],
    clusters_scatter: ByPlaylist[str | None],
    clusters_map: ByPlaylist[str | None],
    liked_tracks: LikedSongs,
    output: OutputFolder,
) -> Iterator[dg.Output | dg.AssetMaterialization | dg.AssetObservation | dg.AssetCheckEvaluation]:
    """The page "Clusters in *playlist*": each cluster's size and most representative tracks (its path).

    Every materialization, in a backfill too, also shows the page as a markdown preview ("page").
    The page checks run on each page as soon as it is written. When playlists of the step failed (here or in
    an earlier step), the others are recorded as materialized one by one, each failure is recorded (see
    ``failure_observation``), and the step then fails naming them, so that the run, its backfill and the failed
    partitions show as failed and "re-execute" tries them again; their previous pages stay as they were.
    """
    inputs = {
        "raw_tracks": raw_tracks,
        "track_features": track_features,
        "track_clusters": track_clusters,
        "clusters_scatter": clusters_scatter,
        "clusters_map": clusters_map,
    }
    written, failed, problems = {}, {}, {}
    for item in playlist_results(context, partial(write_playlist_page, output.root, liked_tracks, paste=output.paste_files), False, inputs):
        if isinstance(item, dg.AssetObservation):
            yield item
        elif isinstance(item[1], PlaylistFailed):
            failed[item[0]] = item[1]
        else:
            key, (record, found) = item
            written[key], problems[key] = record, (record.playlist, found)
    yield from page_materializations(context, written, all_written=not failed)
    yield from check_results(context, problems)
    for key, failure in failed.items():
        yield failure_observation(key, failure)
    if failed:
        named = "; ".join(f"{failure.playlist or key} ({key}): {failure.reason}" for key, failure in failed.items())
        raise dg.Failure(
            f"{len(failed)} of {len(context.partition_keys)} playlists failed, their pages kept as they were: {named}",
            allow_retries=False,
        )
