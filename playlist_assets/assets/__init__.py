"""The asset graph: raw_tracks -> track_features -> track_clusters -> clusters_scatter -> clusters_page -> playlists_index;
the checks of the pages and of the index."""

from playlist_assets.assets.checks import ALL_CHECKS as PAGE_CHECKS
from playlist_assets.assets.index import index_links_resolve, playlists_index
from playlist_assets.assets.library import liked_tracks
from playlist_assets.assets.playlists import (
    clusters_page,
    clusters_scatter,
    raw_tracks,
    track_clusters,
    track_features,
)

PLAYLIST_ASSETS = [raw_tracks, track_features, track_clusters, clusters_scatter, clusters_page]
ALL_ASSETS = [liked_tracks, *PLAYLIST_ASSETS, playlists_index]
ALL_CHECKS = [*PAGE_CHECKS, index_links_resolve]

__all__ = [
    "ALL_ASSETS",
    "ALL_CHECKS",
    "PLAYLIST_ASSETS",
    "clusters_page",
    "clusters_scatter",
    "liked_tracks",
    "playlists_index",
    "raw_tracks",
    "track_clusters",
    "track_features",
]
