"""The one job behind the sensor, the schedule and the command line."""

from __future__ import annotations

import dagster as dg

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS, liked_tracks

refresh_job = dg.define_asset_job(
    "refresh_playlists",
    selection=dg.AssetSelection.assets(*ALL_ASSETS),
    description="Liked Songs, or one playlist's chain from raw_tracks to clusters_page.",
)

PLAYLIST_KEYS = [asset.key for asset in PLAYLIST_ASSETS]
LIKED_KEYS = [liked_tracks.key]


def liked_songs_request(run_key: str | None = None) -> dg.RunRequest:
    """A run that refreshes Liked Songs once for the whole library."""
    return dg.RunRequest(run_key=run_key, asset_selection=LIKED_KEYS)


def playlist_request(playlist_id: str, run_key: str | None = None) -> dg.RunRequest:
    """A run that refreshes one playlist's partition of the chain."""
    return dg.RunRequest(run_key=run_key, partition_key=playlist_id, asset_selection=PLAYLIST_KEYS)
