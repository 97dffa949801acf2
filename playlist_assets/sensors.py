"""Keep the "playlists" partitions in step with the source's playlists."""

import dagster as dg

from playlist_assets.assets import liked_tracks
from playlist_assets.jobs import liked_songs_request, playlist_request, refresh_job
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import playlist_partitions
from playlist_assets.sources import PlaylistSource


def partition_changes(known: set[str], playlists: list[PlaylistInfo]) -> tuple[list[str], list[str]]:
    """Playlist ids to add as partitions and partition keys to delete, both sorted."""
    current = {playlist.id for playlist in playlists}
    return sorted(current - known), sorted(known - current)


@dg.sensor(job=refresh_job, minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.RUNNING)
def playlist_discovery_sensor(context: dg.SensorEvaluationContext, source: PlaylistSource):
    """Add new playlists as partitions and materialize them; drop the partitions of deleted ones.

    New playlists wait until Liked Songs have been materialized once, so that their pages get hearts;
    until then each tick asks for that run again (no run key), so a failed first attempt is retried.
    """
    known = set(context.instance.get_dynamic_partitions(playlist_partitions.name))
    to_add, to_delete = partition_changes(known, source.list_playlists())
    if to_add and context.instance.get_latest_materialization_event(liked_tracks.key) is None:
        return dg.SensorResult(run_requests=[liked_songs_request()])
    requests = []
    if to_add:
        requests.append(playlist_partitions.build_add_request(to_add))
    if to_delete:
        requests.append(playlist_partitions.build_delete_request(to_delete))
    context.log.info(f"{len(to_add)} new playlists, {len(to_delete)} gone")
    return dg.SensorResult(
        run_requests=[playlist_request(key) for key in to_add],
        dynamic_partitions_requests=requests,
    )
