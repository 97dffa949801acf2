"""Refresh every playlist on a schedule (daily by default)."""

import os

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.instance_queries import page_names
from playlist_assets.jobs import liked_songs_request, partition_ranges, playlist_range_request, refresh_job
from playlist_assets.partitions import playlist_partitions
from playlist_assets.sources.spotify_client import SpotifyRateLimited

#: Cron expression of the refresh; override with PLAYLIST_ASSETS_REFRESH_CRON.
REFRESH_CRON = os.environ.get("PLAYLIST_ASSETS_REFRESH_CRON", "0 6 * * *")


@dg.schedule(job=refresh_job, cron_schedule=REFRESH_CRON, default_status=dg.DefaultScheduleStatus.RUNNING)
def refresh_schedule(context: dg.ScheduleEvaluationContext):
    """Liked Songs once, then every playlist partition in runs of up to PARTITIONS_PER_RUN playlists (as a backfill).

    Skipped, saying until when, while a long Spotify rate limit holds (see ``rate_limit``).
    """
    try:
        rate_limit.check(context.instance)
    except SpotifyRateLimited as error:
        yield dg.SkipReason(str(error))
        return
    scheduled = context.scheduled_execution_time.isoformat()
    yield liked_songs_request(run_key=f"liked_tracks:{scheduled}")
    keys = context.instance.get_dynamic_partitions(playlist_partitions.name)
    names = page_names(context.instance)
    for chunk in partition_ranges(keys, set(keys)):
        yield playlist_range_request(chunk, run_key=f"{chunk[0]}..{chunk[-1]}:{scheduled}", names=names)
