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
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from playlist_assets import rate_limit
from playlist_assets.analysis import cluster_features
from playlist_assets.assets.checks import PAGE_CHECK_SPECS, check_results, page_problems
from playlist_assets.assets.library import CALLS_SERVICES, GROUP, LikedSongsUnreadable, retried_only_when_transient
from playlist_assets.features import FeatureProvider
from playlist_assets.model import Clustering, PlaylistFailed, PlaylistTracks
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
from playlist_assets.sources.spotify_client import SpotifyRateLimited

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

CLUSTERS_PAGE = dg.AssetKey("clusters_page")


def failure_event(key: str, failed: PlaylistFailed) -> dg.AssetObservation:
    """What records a playlist's failure for the index and the command line (an observation on clusters_page)."""
    metadata = {"playlist": failed.playlist, "failed": failed.reason, "snapshot_id": failed.snapshot_id}
    return dg.AssetObservation(asset_key=CLUSTERS_PAGE, partition=key, metadata=metadata)


def _failure(error: Exception, inputs: dict[str, Any]) -> PlaylistFailed:
    """``error`` as the failure of the playlist whose ``inputs`` (when they include its tracks) name it."""
    tracks = next((value for value in inputs.values() if isinstance(value, PlaylistTracks)), None)
    reason = error.description if isinstance(error, dg.Failure) and error.description else str(error)
    if tracks is None:
        return PlaylistFailed(reason or type(error).__name__)
    return PlaylistFailed(reason or type(error).__name__, tracks.playlist.name, tracks.playlist.snapshot_id)


def each_playlist(
    context: dg.AssetExecutionContext, build: Callable[..., Any], calls_spotify: bool, inputs: dict[str, ByPlaylist]
) -> Iterator[tuple[str, Any] | dg.AssetObservation]:
    """``(playlist id, build(playlist id, **its inputs))`` for each playlist of the step, or its ``PlaylistFailed``.

    A playlist that failed in an earlier step is passed on without calling ``build``. In a step over one
    playlist, a failure yields its observation and raises (the step fails; its RetryPolicy may try again).
    A rate limit beyond the cap, here or kept from an earlier refresh, stops the calls to Spotify
    (``calls_spotify``): every playlist not done yet fails with it, and it is kept in the instance.
    """
    keys = context.partition_keys
    single = len(keys) == 1
    limited = None
    if calls_spotify and (until := rate_limit.waiting_until(context.instance)):
        limited = PlaylistFailed(rate_limit.waiting_message(until))
    for key in keys:
        own = {name: value if single else value[key] for name, value in inputs.items()}
        failed = next((value for value in own.values() if isinstance(value, PlaylistFailed)), limited)
        if failed is None:
            try:
                result = build(key, **own)
            except Exception as error:
                if isinstance(error, SpotifyRateLimited):
                    rate_limit.remember(context.instance, error.until)
                    limited = PlaylistFailed(str(error))
                if single:
                    yield failure_event(key, _failure(error, own))
                    raise
                failed = _failure(error, own)
            else:
                yield key, result
                continue
        if single:
            yield failure_event(key, failed)
            raise dg.Failure(failed.reason, allow_retries=False)
        named = f"{failed.playlist} ({key})" if failed.playlist else key
        context.log.error(f"Playlist {named} failed in {context.asset_key.to_user_string()}: {failed.reason}")
        yield key, failed


def for_each_playlist(
    context: dg.AssetExecutionContext,
    build: Callable[..., tuple[Any, dict]],
    summary: Callable[[dict[str, Any]], dict] | None = None,
    calls_spotify: bool = False,
    **inputs: ByPlaylist,
) -> Iterator[dg.Output | dg.AssetObservation]:
    """Call ``build(playlist_id, **that playlist's inputs) -> (value, metadata)`` for each playlist of the step.

    One playlist: its value and metadata. Several: a dict of values by playlist id, with each playlist's
    metadata on its own partition; or, when ``summary`` is given, ``summary(values)`` on the playlists that
    did not fail, as figures over the run (recording per partition costs three instance queries per playlist
    and asset). A playlist that fails is passed on as a ``PlaylistFailed`` with "failed" metadata (see
    ``each_playlist``): Dagster records a step's output for every playlist of the step, so intermediate assets
    are recorded with the failure (their stored value stays the last good one, see ``storage.py``), and
    clusters_page, recorded per playlist, is where it counts.
    """
    values, metadata = {}, {}
    for item in each_playlist(context, build, calls_spotify, inputs):
        if isinstance(item, dg.AssetObservation):
            yield item
            continue
        key, result = item
        values[key], metadata[key] = (result, {"failed": result.reason}) if isinstance(result, PlaylistFailed) else result
    if len(values) == 1:
        [(key, value)] = values.items()
        yield dg.Output(value, metadata=metadata[key])
        return
    done = {key: value for key, value in values.items() if not isinstance(value, PlaylistFailed)}
    for key, playlist_metadata in metadata.items():
        if summary is None or key not in done:
            context.add_asset_metadata(playlist_metadata, partition_key=key)
    figures = {**summary(done), "run: failed playlists": len(values) - len(done)} if summary else None
    yield dg.Output(values, metadata=figures)


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
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    liked: frozenset,
    image_link: str | None,
    liked_unreadable: str = "",
) -> str:
    """The playlist's page, its scatter linked as ``image_link`` (none when None); see ``render_clusters_page``."""
    return render_clusters_page(
        playlist=tracks.playlist,
        tracks=tracks.tracks,
        features=features,
        clustering=clustering,
        liked=liked,
        image_link=image_link,
        skipped=tracks.skipped,
        unreadable=tracks.unreadable,
        liked_unreadable=liked_unreadable,
    )


def write_page(
    root: Path,
    tracks: PlaylistTracks,
    features: pd.DataFrame,
    clustering: Clustering,
    scatter: str | None,
    liked: frozenset,
    liked_unreadable: str = "",
) -> tuple[Path, str]:
    """Write the playlist's page under ``root``, linking its scatter (a path, or None) relatively; its path and text.

    The folders written under an earlier name of the playlist are removed.
    """
    slug = playlist_slug(tracks.playlist.id, tracks.playlist.name)
    path = page_path(root, slug)
    image_link = relative_link(path, Path(scatter)) if scatter else None
    page = render_page(tracks, features, clustering, liked, image_link, liked_unreadable)
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
def raw_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> Iterator:
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
    """The page "Clusters in <playlist>": each cluster's size and most representative tracks (its path).

    A run of one playlist also shows the page as a markdown preview; a backfill run records only its path.
    The page checks run on each page as soon as it is written. When playlists of the step failed (here or in
    an earlier step), the others are recorded as materialized one by one, each failure is recorded (see
    ``failure_event``), and the step then fails naming them, so that the run, its backfill and the failed
    partitions show as failed and "re-execute" tries them again; their previous pages stay as they were.
    """
    preview = len(context.partition_keys) == 1
    liked_unreadable = liked_tracks.reason if isinstance(liked_tracks, LikedSongsUnreadable) else ""
    liked = frozenset() if liked_unreadable else liked_tracks

    def write(
        _: str, raw_tracks: PlaylistTracks, track_features: pd.DataFrame, track_clusters: Clustering, clusters_scatter: str | None
    ) -> tuple[str, dict, dict[str, list[str]]]:
        path, page = write_page(
            output.root, raw_tracks, track_features, track_clusters, clusters_scatter, liked, liked_unreadable
        )
        placed = len(track_clusters.tracks) if track_clusters.clustered else 0
        metadata = {
            "playlist": raw_tracks.playlist.name,
            "path": dg.MetadataValue.path(str(path)),
            "state": _state(raw_tracks, track_clusters),
            "k": track_clusters.k,
            "silhouette": track_clusters.score,
            "coverage": f"{placed} of {len(raw_tracks.tracks)} tracks placed",
            "tracks": len(raw_tracks.tracks),
            "placed": placed,
            "snapshot_id": raw_tracks.playlist.snapshot_id,
        }
        if liked_unreadable:
            metadata["liked songs"] = f"could not be read: {liked_unreadable}"
        if preview:
            metadata["page"] = dg.MetadataValue.md(without_image(page))
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
        yield failure_event(key, failure)
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
