"""The asset graph: raw_tracks -> track_features -> track_clusters -> clusters_scatter -> clusters_page (with its page checks)."""

from playlist_assets.assets.library import liked_tracks
from playlist_assets.assets.playlists import (
    clusters_page,
    clusters_scatter,
    raw_tracks,
    track_clusters,
    track_features,
)

PLAYLIST_ASSETS = [raw_tracks, track_features, track_clusters, clusters_scatter, clusters_page]
ALL_ASSETS = [liked_tracks, *PLAYLIST_ASSETS]

__all__ = [
    "ALL_ASSETS",
    "PLAYLIST_ASSETS",
    "clusters_page",
    "clusters_scatter",
    "liked_tracks",
    "raw_tracks",
    "track_clusters",
    "track_features",
]
