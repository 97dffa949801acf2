"""One partition per playlist: its tracks, their features, their clusters, a scatter and a page.

Each asset reads its inputs, calls the pure core (sources, analysis, render) for each playlist of its step
and records metadata per playlist. A step covers one playlist (a run from the UI, the sensor or a test) or
several (a backfill, which ``BACKFILL_POLICY`` splits into runs of up to ``PARTITIONS_PER_RUN`` playlists);
a step over several playlists passes and receives dicts keyed by playlist id (see ``storage.py``).
"""

import base64
import os
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from playlist_assets.analysis import cluster_features
from playlist_assets.assets.library import CALLS_SERVICES, GROUP, retried_only_when_transient
from playlist_assets.features import FeatureProvider
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.partitions import check_playlist_id, playlist_partitions
from playlist_assets.render import (
    page_path,
    playlist_slug,
    relative_link,
    remove_playlist_outputs,
    render_clusters_page,
    render_scatter,
    scatter_path,
    write_atomically,
)
from playlist_assets.render.markdown import SCATTER_ALT
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource

#: Most playlists in one run of a backfill; set PLAYLIST_ASSETS_PARTITIONS_PER_RUN to change it.
PARTITIONS_PER_RUN = int(os.environ.get("PLAYLIST_ASSETS_PARTITIONS_PER_RUN", "100"))
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=PARTITIONS_PER_RUN)
# Dagster warns at import that the asset decorator's backfill_policy parameter is in beta; said once here.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

#: Settings of every asset of the per-playlist chain.
PER_PLAYLIST = {"partitions_def": playlist_partitions, "backfill_policy": BACKFILL_POLICY, "group_name": GROUP}

#: A partitioned asset's value in a step: the playlist's value when the step covers one playlist, a dict
#: of values by playlist id when it covers several (Dagster cannot type-check "one or the other").
ByPlaylist = Any


def for_each_playlist(
    context: dg.AssetExecutionContext,
    build: Callable[..., tuple[Any, dict]],
    summary: Callable[[dict[str, Any]], dict] | None = None,
    **inputs: ByPlaylist,
) -> dg.Output:
    """Call ``build(playlist_id, **that playlist's inputs) -> (value, metadata)`` for each playlist of the step.

    One playlist: its value and metadata. Several: a dict of values by playlist id, with each playlist's
    metadata on its own partition; or, when ``summary`` is given, ``summary(values)`` on all of them, as
    figures over the run (recording per partition costs three instance queries per playlist and asset).
    In a step over several playlists, the first one that fails fails the step, and so its run, with an
    error naming it: no playlist of the run is recorded as materialized, and a backfill marks them failed.
    """
    keys = context.partition_keys
    if len(keys) == 1:
        value, metadata = build(keys[0], **inputs)
        return dg.Output(value, metadata=metadata)
    values = {}
    for key in keys:
        try:
            values[key], metadata = build(key, **{name: value[key] for name, value in inputs.items()})
        except Exception as error:
            raise dg.Failure(f"playlist {key} failed, and with it this run of {len(keys)} playlists: {error}") from error
        if summary is None:
            context.add_asset_metadata(metadata, partition_key=key)
    return dg.Output(values, metadata=summary(values) if summary else None)


def write_scatter(root: Path, tracks: PlaylistTracks, clustering: Clustering) -> tuple[Path, bytes | None]:
    """Write the playlist's scatter PNG under ``root``, or remove it when the playlist was not clustered."""
    path = scatter_path(root, playlist_slug(tracks.playlist.id, tracks.playlist.name))
    if not clustering.clustered:
        path.unlink(missing_ok=True)
        return path, None
    png = render_scatter(clustering, tracks.playlist.name)
    write_atomically(path, png)
    return path, png


def render_page(
    tracks: PlaylistTracks, features: pd.DataFrame, clustering: Clustering, liked: frozenset, image_link: str | None
) -> str:
    """The playlist's page, its scatter linked as ``image_link`` (none when None)."""
    return render_clusters_page(
        playlist=tracks.playlist,
        tracks=tracks.tracks,
        features=features,
        clustering=clustering,
        liked=liked,
        image_link=image_link,
        skipped=tracks.skipped,
        unreadable=tracks.unreadable,
    )


def write_page(
    root: Path, tracks: PlaylistTracks, features: pd.DataFrame, clustering: Clustering, scatter: str | None, liked: frozenset
) -> tuple[Path, str]:
    """Write the playlist's page under ``root``, linking its scatter (a path, or None) relatively; its path and text.

    The folders written under an earlier name of the playlist are removed.
    """
    slug = playlist_slug(tracks.playlist.id, tracks.playlist.name)
    path = page_path(root, slug)
    image_link = relative_link(path, Path(scatter)) if scatter else None
    page = render_page(tracks, features, clustering, liked, image_link)
    write_atomically(path, page.encode("utf-8"))
    remove_playlist_outputs(root, tracks.playlist.id, keep_slug=slug)
    return path, page


def without_image(page: str) -> str:
    """The page as rendered without its scatter (the UI's preview, where a relative link cannot resolve).

    The same text as ``render_page(..., image_link=None)``, without rendering the tables again.
    """
    title, _, rest = page.partition("\n\n")
    if rest.startswith(f"![{SCATTER_ALT}]("):
        rest = rest.partition("\n\n")[2]
    return f"{title}\n\n{rest}"


def _column_schema(tracks: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in tracks.dtypes.items()])


@dg.asset(**PER_PLAYLIST, **CALLS_SERVICES, kinds={"spotify", "pandas"})
def raw_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> dg.Output:
    """The playlist's playable tracks; local files, episodes, empty items and duplicates are counted, not kept."""

    def fetch(playlist_id: str) -> tuple[PlaylistTracks, dict]:
        playlist = source.fetch_playlist(check_playlist_id(playlist_id))
        return playlist, {
            "playlist": playlist.playlist.name,
            "snapshot_id": playlist.playlist.snapshot_id,
            "dagster/row_count": len(playlist.tracks),
            "left out": dg.MetadataValue.json(playlist.skipped),
            "dagster/column_schema": _column_schema(playlist.tracks),
        }

    def totals(playlists: dict[str, PlaylistTracks]) -> dict:
        return {"run: playlists": len(playlists), "run: tracks": sum(len(p.tracks) for p in playlists.values())}

    with retried_only_when_transient():
        return for_each_playlist(context, fetch, totals)


@dg.asset(**PER_PLAYLIST, **CALLS_SERVICES, kinds={"pandas"})
def track_features(context: dg.AssetExecutionContext, raw_tracks: ByPlaylist, features: FeatureProvider) -> dg.Output:
    """Numeric features per track, with a ``source`` column saying where they came from."""

    def look_up(_: str, raw_tracks: PlaylistTracks) -> tuple[pd.DataFrame, dict]:
        found = features.features(raw_tracks.tracks)
        return found, {
            "dagster/row_count": len(found),
            "sources": dg.MetadataValue.json(found["source"].value_counts().to_dict()),
            "tracks without features": len(raw_tracks.tracks) - len(found),
        }

    def totals(found: dict[str, pd.DataFrame]) -> dict:
        return {"run: playlists": len(found), "run: tracks with features": sum(map(len, found.values()))}

    with retried_only_when_transient():
        return for_each_playlist(context, look_up, totals, raw_tracks=raw_tracks)


@dg.asset(**PER_PLAYLIST, kinds={"scikitlearn"})
def track_clusters(context: dg.AssetExecutionContext, track_features: ByPlaylist) -> dg.Output:
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

    return for_each_playlist(context, cluster, totals, track_features=track_features)


@dg.asset(**PER_PLAYLIST, kinds={"matplotlib"})
def clusters_scatter(
    context: dg.AssetExecutionContext, raw_tracks: ByPlaylist, track_clusters: ByPlaylist, output: OutputFolder
) -> dg.Output:
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

    return for_each_playlist(context, draw, totals, raw_tracks=raw_tracks, track_clusters=track_clusters)


@dg.asset(**PER_PLAYLIST, kinds={"markdown"})
def clusters_page(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist,
    track_features: ByPlaylist,
    track_clusters: ByPlaylist,
    clusters_scatter: ByPlaylist,
    liked_tracks: frozenset,
    output: OutputFolder,
) -> dg.Output:
    """The page "Clusters in <playlist>": each cluster's size and most representative tracks (its path).

    A run of one playlist also shows the page as a markdown preview; a backfill run records only its path.
    """
    preview = len(context.partition_keys) == 1

    def write(
        _: str, raw_tracks: PlaylistTracks, track_features: pd.DataFrame, track_clusters: Clustering, clusters_scatter: str | None
    ) -> tuple[str, dict]:
        path, page = write_page(output.root, raw_tracks, track_features, track_clusters, clusters_scatter, liked_tracks)
        placed = len(track_clusters.tracks) if track_clusters.clustered else 0
        metadata = {
            "playlist": raw_tracks.playlist.name,
            "path": dg.MetadataValue.path(str(path)),
            "k": track_clusters.k,
            "silhouette": track_clusters.score,
            "separation": track_clusters.separation,
            "coverage": f"{placed} of {len(raw_tracks.tracks)} tracks placed",
            "snapshot_id": raw_tracks.playlist.snapshot_id,
        }
        if preview:
            metadata["page"] = dg.MetadataValue.md(without_image(page))
        return str(path), metadata

    return for_each_playlist(
        context,
        write,
        raw_tracks=raw_tracks,
        track_features=track_features,
        track_clusters=track_clusters,
        clusters_scatter=clusters_scatter,
    )
