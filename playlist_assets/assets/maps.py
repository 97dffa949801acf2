"""The interactive maps: clusters_map, each playlist's beside its page, and library_map, every playlist on one map.

Both are drawn by ``render.maps`` and written by ``writers.files``, with the copy of BokehJS they share.
"""

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from playlist_assets.assets.each_playlist import ByPlaylist, by_playlist, playlist_outputs
from playlist_assets.assets.playlists import CLUSTERINGS, FEATURES, TRACKS
from playlist_assets.assets.settings import AFTER_PAGES_CHANGE, BACKFILL_POLICY, GROUP
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.page_record import CLUSTERS_PAGE
from playlist_assets.partitions import playlist_ids, playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.storage import PickleStore
from playlist_assets.writers.files import write_library_map, write_playlist_map

if TYPE_CHECKING:
    from playlist_assets.render.maps import MappedPlaylist

MAP_PATHS = by_playlist((str, type(None)), "MapPath")
#: The stored values a playlist's share of the library map is read from.
RAW_TRACKS, TRACK_FEATURES, TRACK_CLUSTERS = map(dg.AssetKey, ("raw_tracks", "track_features", "track_clusters"))


def draw_map(
    root: Path, raw_tracks: PlaylistTracks, track_features: pd.DataFrame, track_clusters: Clustering
) -> tuple[str | None, dict]:
    """Write the playlist's map under ``root`` (none when not clustered): its path and metadata."""
    path = write_playlist_map(root, raw_tracks, track_features, track_clusters)
    if path is None:
        return None, {"map": "none: " + track_clusters.note}
    return str(path), {"path": dg.MetadataValue.path(str(path)), "size (KB)": round(path.stat().st_size / 1000, 1)}


def map_totals(paths: dict[str, str | None]) -> dict:
    return {"run: playlists": len(paths), "run: maps": sum(path is not None for path in paths.values())}


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    kinds={"bokeh"},
    ins={"raw_tracks": TRACKS, "track_features": FEATURES, "track_clusters": CLUSTERINGS},
)
def clusters_map(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist[PlaylistTracks],
    track_features: ByPlaylist[pd.DataFrame],
    track_clusters: ByPlaylist[Clustering],
    output: OutputFolder,
) -> Iterator[dg.Output | dg.AssetObservation]:
    """The clusters as an interactive map, map.html beside the page (its path); none when not clustered.

    A run of one playlist records the map's path; a backfill run, how many maps it wrote.
    """
    yield from playlist_outputs(
        context,
        partial(draw_map, output.root),
        map_totals,
        raw_tracks=raw_tracks,
        track_features=track_features,
        track_clusters=track_clusters,
    )


def stored_playlists(store: PickleStore, ids: Iterable[str]) -> Iterator["MappedPlaylist"]:
    """Each clustered playlist's share of the library map, from the values last stored of it (see ``storage.py``);
    playlists never clustered, or not materialized yet, are left out."""
    from playlist_assets.render.maps import MappedPlaylist  # Bokeh is imported by the steps that draw maps only

    for playlist_id in ids:
        clustering = store.stored_playlist_value(TRACK_CLUSTERS, playlist_id)
        if clustering is None or not clustering.clustered:
            continue
        tracks = store.stored_playlist_value(RAW_TRACKS, playlist_id)
        features = store.stored_playlist_value(TRACK_FEATURES, playlist_id)
        if tracks is not None and features is not None:
            yield MappedPlaylist(tracks.playlist.display_name, tracks.tracks, features, clustering)


@dg.asset(
    group_name=GROUP,
    deps=[CLUSTERS_PAGE],
    kinds={"bokeh"},
    automation_condition=AFTER_PAGES_CHANGE,
    required_resource_keys={"io_manager", "output"},  # the IO manager's stored values are read by playlist id
)
def library_map(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Every clustered playlist on one interactive map, map.html at the top of the output folder (its path).

    Read from the values stored of each playlist's tracks, features and clusters; rebuilt when pages change.
    """
    keys = context.instance.get_dynamic_partitions(playlist_partitions.name)
    ids = playlist_ids(context.instance, keys)
    playlists = list(stored_playlists(context.resources.io_manager, (ids[key] for key in keys if key in ids)))
    path = write_library_map(context.resources.output.root, playlists)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "playlists": len(playlists),
            "size (KB)": round(path.stat().st_size / 1000, 1),
        }
    )
