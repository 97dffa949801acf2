"""The asset graph: raw_tracks -> track_features -> track_clusters -> clusters_scatter and clusters_map ->
clusters_page (with its page checks) -> library_map -> playlists_index, and the check of the index; with publishing
on, track_clusters -> cluster_playlists."""

import warnings

import dagster as dg

# Dagster notes, as each asset is defined, that the backfill_policy parameter is in beta and that partitioned checks
# are in preview: known, so silenced while the assets are defined (and only then).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning)
    from playlist_assets.assets.index import index_links_resolve, playlists_index
    from playlist_assets.assets.liked import liked_tracks
    from playlist_assets.assets.maps import clusters_map, library_map
    from playlist_assets.assets.page import clusters_page
    from playlist_assets.assets.playlists import clusters_scatter, raw_tracks, track_clusters, track_features
    from playlist_assets.assets.publish import cluster_playlists

PLAYLIST_ASSETS = [raw_tracks, track_features, track_clusters, clusters_scatter, clusters_map, clusters_page]
ALL_ASSETS = [liked_tracks, *PLAYLIST_ASSETS, library_map, playlists_index]
ALL_CHECKS = [index_links_resolve]
#: Added to the graph when PLAYLIST_ASSETS_PUBLISH is not off.
PUBLISH_ASSETS = [cluster_playlists]

__all__ = [
    "ALL_ASSETS",
    "ALL_CHECKS",
    "PLAYLIST_ASSETS",
    "PUBLISH_ASSETS",
    "cluster_playlists",
    "clusters_map",
    "clusters_page",
    "clusters_scatter",
    "library_map",
    "liked_tracks",
    "playlists_index",
    "raw_tracks",
    "track_clusters",
    "track_features",
]
