"""Refresh every playlist on a schedule (daily by default)."""

import os

import dagster as dg

from playlist_assets.jobs import liked_songs_request, playlist_request, refresh_job
from playlist_assets.partitions import playlist_partitions

#: Cron expression of the refresh; override with PLAYLIST_ASSETS_REFRESH_CRON.
REFRESH_CRON = os.environ.get("PLAYLIST_ASSETS_REFRESH_CRON", "0 6 * * *")


@dg.schedule(job=refresh_job, cron_schedule=REFRESH_CRON, default_status=dg.DefaultScheduleStatus.RUNNING)
def refresh_schedule(context: dg.ScheduleEvaluationContext):
    """Liked Songs once, then one run per playlist partition."""
    scheduled = context.scheduled_execution_time.isoformat()
    yield liked_songs_request(run_key=f"liked_tracks:{scheduled}")
    for key in context.instance.get_dynamic_partitions(playlist_partitions.name):
        yield playlist_request(key, run_key=f"{key}:{scheduled}")
