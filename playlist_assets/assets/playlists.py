"""One partition per playlist: its tracks, their features, their clusters and their scatter (the page: ``page.py``).

Each asset reads its inputs and calls, for each playlist of its step, a function of this module that calls the pure
core (sources, analysis, render) and says what to record: ``(value, metadata)``. A step covers one playlist (a run
from the UI, the sensor or a test) or several (a backfill, which ``BACKFILL_POLICY`` splits into runs of up to
``PARTITIONS_PER_RUN`` playlists); a step over several playlists passes and receives dicts by partition key (see
``each_playlist.ByPlaylist`` and ``storage.py``).

A playlist that fails is that playlist's alone (see ``playlist_outputs`` and ``clusters_page``): the others of its
run get their pages in that same run, and it keeps its previous page, is not recorded as materialized (its
clusters_page partition shows as failed), and its reason is logged and recorded on clusters_page.
"""

import base64
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd

from playlist_assets.analysis import cluster_features, with_titles
from playlist_assets.analysis.placement import audio_coverage
from playlist_assets.assets.each_playlist import ByPlaylist, by_playlist, playlist_outputs, shaped_as_inputs
from playlist_assets.assets.settings import (
    BACKFILL_POLICY,
    GROUP,
    NETWORK_RETRY_POLICY,
    SPOTIFY_POOL,
    retried_only_when_transient,
)
from playlist_assets.features import FeatureProvider
from playlist_assets.model import Clustering, PlaylistFailed, PlaylistTracks, reccobeats_known
from playlist_assets.partitions import check_playlist_id, playlist_ids, playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.writers.files import write_scatter

#: The per-playlist inputs of the chain, each checked as one value or values by playlist.
TRACKS = by_playlist(PlaylistTracks, "PlaylistTracks")
FEATURES = by_playlist(pd.DataFrame, "TrackFeatures")
CLUSTERINGS = by_playlist(Clustering, "Clustering")
SCATTER_PATHS = by_playlist((str, type(None)), "ScatterPath")


def reccobeats_share(features: pd.DataFrame) -> float | None:
    """The share of the tracks asked of ReccoBeats that it knew; None when none were asked."""
    known = reccobeats_known(features)
    return round(known[0] / known[1], 4) if known else None


def names_no_playlist(key: str) -> PlaylistFailed:
    """The failure of a partition whose key names no playlist (one added by hand in the UI, say)."""
    return PlaylistFailed(
        f"partition key {key!r} names no playlist of the library: playlists are added by the discovery sensor or ./run.sh"
    )


def fetch_tracks(source: PlaylistSource, playlist_id: str) -> tuple[PlaylistTracks, dict]:
    """The playlist's tracks, from the source, and their metadata."""
    playlist = source.fetch_playlist(check_playlist_id(playlist_id))
    columns = [dg.TableColumn(name, str(dtype)) for name, dtype in playlist.tracks.dtypes.items()]
    return playlist, {
        "playlist": playlist.playlist.display_name,
        "playlist_id": playlist.playlist.id,
        "snapshot_id": playlist.playlist.snapshot_id,
        "dagster/row_count": len(playlist.tracks),
        "left out": dg.MetadataValue.json(playlist.skipped),
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def tracks_totals(playlists: dict[str, PlaylistTracks]) -> dict:
    return {"run: playlists": len(playlists), "run: tracks": sum(len(p.tracks) for p in playlists.values())}


def look_up_features(provider: FeatureProvider, raw_tracks: PlaylistTracks) -> tuple[pd.DataFrame, dict]:
    """The features of the playlist's tracks, from the provider, and their metadata."""
    found = provider.features(raw_tracks.tracks)
    share = reccobeats_share(found)
    audio = audio_coverage(found)
    return found, {
        "dagster/row_count": len(found),
        "sources": dg.MetadataValue.json(found["source"].value_counts().to_dict()),
        "tracks without features": len(raw_tracks.tracks) - len(found),
        **({"reccobeats share": share} if share is not None else {}),
        **({"audio": audio} if audio else {}),
    }


def features_totals(found: dict[str, pd.DataFrame]) -> dict:
    return {"run: playlists": len(found), "run: tracks with features": sum(map(len, found.values()))}


class ClusteringConfig(dg.Config):
    """``recluster``: start afresh, ignoring the playlists' previous clusters (new numbers and names, no "Since")."""

    recluster: bool = False


def previous_clustering(context: dg.AssetExecutionContext, playlist_id: str) -> Clustering | None:
    """The clustering track_clusters last stored for the playlist (by its id, whatever its key was); None if none."""
    stored = context.resources.io_manager.stored_playlist_value(context.asset_key, playlist_id)
    return stored if isinstance(stored, Clustering) else None


def cluster_playlist(
    previous_of: Callable[[str], Clustering | None],
    today: str,
    raw_tracks: PlaylistTracks,
    track_features: pd.DataFrame,
) -> tuple[Clustering, dict]:
    """The clustering of the playlist's tracks, carrying on ``previous_of(its id)``, and its metadata.

    It is stamped ``today`` unless it keeps the previous clustering's date (a refresh that changed nothing).
    """
    clustering = with_titles(cluster_features(track_features, previous_of(raw_tracks.playlist.id)), raw_tracks.tracks)
    if not clustering.made_on:
        clustering = dataclasses.replace(clustering, made_on=today)
    return clustering, {
        "k": clustering.k,
        "silhouette": clustering.score,
        "separation": clustering.separation,
        "how k was chosen": clustering.note,
        "cluster names": dg.MetadataValue.json({str(number): name for number, name in clustering.names.items()}),
        "silhouette by k": dg.MetadataValue.json({str(k): round(s, 4) for k, s in clustering.scores.items()}),
        "dagster/row_count": len(clustering.tracks),
    }


def clusters_totals(clusterings: dict[str, Clustering]) -> dict:
    by_k = Counter(str(clustering.k) for clustering in clusterings.values())
    return {"run: playlists": len(clusterings), "run: playlists by k": dg.MetadataValue.json(dict(sorted(by_k.items())))}


def draw_scatter(root: Path, inline: bool, raw_tracks: PlaylistTracks, track_clusters: Clustering) -> tuple[str | None, dict]:
    """Write the playlist's scatter under ``root`` (none when not clustered): its path and metadata, the image too
    when ``inline``."""
    path, png = write_scatter(root, raw_tracks, track_clusters)
    if png is None:
        return None, {"image": "none: " + track_clusters.note}
    metadata = {"path": dg.MetadataValue.path(str(path))}
    if inline:
        image = base64.b64encode(png).decode("ascii")
        metadata["scatter"] = dg.MetadataValue.md(f"![Clusters](data:image/png;base64,{image})")
    return str(path), metadata


def scatter_totals(paths: dict[str, str | None]) -> dict:
    return {"run: playlists": len(paths), "run: images": sum(path is not None for path in paths.values())}


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    pool=SPOTIFY_POOL,
    retry_policy=NETWORK_RETRY_POLICY,
    kinds={"spotify", "pandas"},
)
def raw_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> Iterator[dg.Output | dg.AssetObservation]:
    """The playlist's playable tracks; local files, episodes, empty items and duplicates are counted, not kept."""
    keys = context.partition_keys
    ids = playlist_ids(context.instance, keys)
    playlist_id = shaped_as_inputs(keys, {key: ids.get(key) or names_no_playlist(key) for key in keys})
    with retried_only_when_transient():
        yield from playlist_outputs(
            context, partial(fetch_tracks, source), tracks_totals, calls_spotify=True, playlist_id=playlist_id
        )


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    pool=SPOTIFY_POOL,
    retry_policy=NETWORK_RETRY_POLICY,
    kinds={"pandas"},
    ins={"raw_tracks": TRACKS},
)
def track_features(
    context: dg.AssetExecutionContext, raw_tracks: ByPlaylist[PlaylistTracks], features: FeatureProvider
) -> Iterator[dg.Output | dg.AssetObservation]:
    """Numeric features per track, with a ``source`` column saying where they came from."""
    with retried_only_when_transient():
        yield from playlist_outputs(
            context, partial(look_up_features, features), features_totals, calls_spotify=True, raw_tracks=raw_tracks
        )


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    kinds={"scikitlearn"},
    ins={"raw_tracks": TRACKS, "track_features": FEATURES},
)
def track_clusters(
    context: dg.AssetExecutionContext,
    config: ClusteringConfig,
    raw_tracks: ByPlaylist[PlaylistTracks],
    track_features: ByPlaylist[pd.DataFrame],
) -> Iterator[dg.Output | dg.AssetObservation]:
    """Cluster per track, distance to its centre and 2-D projection; the chosen k and its silhouette; the names.

    Each playlist's clusters carry on from those stored at its previous refresh (numbers, names, what changed; see
    docs/identity.md), unless the run config says ``recluster``.
    """
    previous_of = (lambda _: None) if config.recluster else partial(previous_clustering, context)
    cluster = partial(cluster_playlist, previous_of, datetime.now(UTC).date().isoformat())
    yield from playlist_outputs(context, cluster, clusters_totals, raw_tracks=raw_tracks, track_features=track_features)


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    kinds={"matplotlib"},
    ins={"raw_tracks": TRACKS, "track_clusters": CLUSTERINGS},
)
def clusters_scatter(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist[PlaylistTracks],
    track_clusters: ByPlaylist[Clustering],
    output: OutputFolder,
) -> Iterator[dg.Output | dg.AssetObservation]:
    """The clusters on the 2-D projection, as a PNG beside the pages (its path); none when not clustered.

    A run of one playlist also shows the image inline; a backfill run records only its path.
    """
    draw = partial(draw_scatter, output.root, len(context.partition_keys) == 1)
    yield from playlist_outputs(context, draw, scatter_totals, raw_tracks=raw_tracks, track_clusters=track_clusters)
