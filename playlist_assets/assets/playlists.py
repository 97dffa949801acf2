"""One partition per playlist: its tracks, their features, their clusters, a scatter and a page.

Each asset reads its inputs, calls the pure core (sources, analysis, render) and attaches metadata.
"""

import base64
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from playlist_assets.analysis import cluster_tracks
from playlist_assets.assets.library import GROUP
from playlist_assets.features import FeatureProvider
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.partitions import check_playlist_id, playlist_partitions
from playlist_assets.render import (
    page_path,
    playlist_slug,
    relative_link,
    render_clusters_page,
    render_scatter,
    scatter_path,
    write_atomically,
)
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource


@dg.asset(partitions_def=playlist_partitions, group_name=GROUP, kinds={"spotify", "pandas"})
def raw_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> dg.Output[PlaylistTracks]:
    """The playlist's playable tracks; local files, episodes, empty items and duplicates are counted, not kept."""
    playlist = source.fetch_playlist(check_playlist_id(context.partition_key))
    tracks = playlist.tracks
    return dg.Output(
        playlist,
        metadata={
            "playlist": playlist.playlist.name,
            "snapshot_id": playlist.playlist.snapshot_id,
            "dagster/row_count": len(tracks),
            "left out": dg.MetadataValue.json(playlist.skipped),
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(name, str(dtype)) for name, dtype in tracks.dtypes.items()]
            ),
        },
    )


@dg.asset(partitions_def=playlist_partitions, group_name=GROUP, kinds={"pandas"})
def track_features(raw_tracks: PlaylistTracks, features: FeatureProvider) -> dg.Output[pd.DataFrame]:
    """Numeric features per track, with a ``source`` column saying where they came from."""
    found = features.features(raw_tracks.tracks)
    return dg.Output(
        found,
        metadata={
            "dagster/row_count": len(found),
            "sources": dg.MetadataValue.json(found["source"].value_counts().to_dict()),
            "tracks without features": len(raw_tracks.tracks) - len(found),
        },
    )


@dg.asset(partitions_def=playlist_partitions, group_name=GROUP, kinds={"scikitlearn"})
def track_clusters(track_features: pd.DataFrame) -> dg.Output[Clustering]:
    """Cluster per track, distance to its centre and 2-D projection; the chosen k and its silhouette."""
    numbers = track_features.drop(columns="source").replace([np.inf, -np.inf], np.nan).dropna()
    clustering = cluster_tracks(numbers)
    return dg.Output(
        clustering,
        metadata={
            "k": clustering.k,
            "silhouette": clustering.score,
            "how k was chosen": clustering.note,
            "silhouette by k": dg.MetadataValue.json({str(k): round(s, 4) for k, s in clustering.scores.items()}),
            "dagster/row_count": len(clustering.tracks),
        },
    )


@dg.asset(partitions_def=playlist_partitions, group_name=GROUP, kinds={"matplotlib"})
def clusters_scatter(
    raw_tracks: PlaylistTracks, track_clusters: Clustering, output: OutputFolder
) -> dg.Output[str | None]:
    """The clusters on the 2-D projection, as a PNG beside the pages; none when the playlist was not clustered."""
    playlist = raw_tracks.playlist
    path = scatter_path(output.root, playlist_slug(playlist.id, playlist.name))
    if not track_clusters.clustered:
        path.unlink(missing_ok=True)
        return dg.Output(None, metadata={"image": "none: " + track_clusters.note})
    png = render_scatter(track_clusters, playlist.name)
    write_atomically(path, png)
    inline = base64.b64encode(png).decode("ascii")
    return dg.Output(
        str(path),
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "scatter": dg.MetadataValue.md(f"![Clusters](data:image/png;base64,{inline})"),
        },
    )


@dg.asset(partitions_def=playlist_partitions, group_name=GROUP, kinds={"markdown"})
def clusters_page(
    raw_tracks: PlaylistTracks,
    track_features: pd.DataFrame,
    track_clusters: Clustering,
    clusters_scatter: str | None,
    liked_tracks: frozenset,
    output: OutputFolder,
) -> dg.Output[str]:
    """The page "Clusters in <playlist>": each cluster's size and most representative tracks."""
    playlist = raw_tracks.playlist
    path = page_path(output.root, playlist_slug(playlist.id, playlist.name))

    def render(image_link: str | None) -> str:
        return render_clusters_page(
            playlist=playlist,
            tracks=raw_tracks.tracks,
            features=track_features,
            clustering=track_clusters,
            liked=liked_tracks,
            image_link=image_link,
            skipped=raw_tracks.skipped,
        )

    image_link = relative_link(path, Path(clusters_scatter)) if clusters_scatter else None
    write_atomically(path, render(image_link).encode("utf-8"))
    placed = len(track_clusters.tracks) if track_clusters.clustered else 0
    return dg.Output(
        str(path),
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "k": track_clusters.k,
            "silhouette": track_clusters.score,
            "coverage": f"{placed} of {len(raw_tracks.tracks)} tracks placed",
            "page": dg.MetadataValue.md(render(image_link=None)),
        },
    )
