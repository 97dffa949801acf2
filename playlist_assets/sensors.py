"""The sensors: playlist discovery, the index's automation, and playlist names on the runs launched from the UI.

Discovery keeps the "playlists" partitions and pages in step with the source's playlists. Each tick lists the
playlists once (for Spotify: one request per 50 playlists) and compares each ``snapshot_id`` with the one its page
was last written for (recorded in the instance); only new and changed playlists get a run, so an unchanged library
costs the listing and nothing else.
"""

from collections.abc import Mapping, Sequence

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.assets import liked_tracks, playlists_index
from playlist_assets.instance_queries import page_names, page_snapshots
from playlist_assets.jobs import (
    PARTITION_TAG,
    PLAYLIST_TAG,
    PLAYLISTS_TAG,
    RANGE_END,
    RANGE_START,
    liked_songs_request,
    name_tags,
    playlist_request,
    refresh_job,
)
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources.spotify_client import SpotifyRateLimited
from playlist_assets.writers.files import remove_playlist_outputs


def partition_changes(known: set[str], playlists: list[PlaylistInfo]) -> tuple[list[str], list[str]]:
    """Playlist ids to add as partitions and partition keys to delete, both sorted.

    An empty listing deletes nothing: a whole library gone at once is more likely an outage than real.
    """
    current = {playlist.id for playlist in playlists}
    return sorted(current - known), sorted(known - current) if playlists else []


def playlists_to_refresh(playlists: list[PlaylistInfo], written: dict[str, str]) -> list[PlaylistInfo]:
    """The playlists whose page is missing or was written for another snapshot than the current one."""
    return [playlist for playlist in playlists if written.get(playlist.id) != playlist.snapshot_id]


def remove_deleted_pages(output: OutputFolder, deleted: list[str], log) -> None:
    """Remove the page and image folders of the deleted playlists (see the README for why)."""
    for key in deleted:
        for folder in remove_playlist_outputs(output.root, key):
            log.info(f"Removed {folder}: playlist {key} is gone from the library")


@dg.sensor(job=refresh_job, minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.RUNNING)
def playlist_discovery_sensor(context: dg.SensorEvaluationContext, source: PlaylistSource, output: OutputFolder):
    """Add new playlists as partitions, refresh new and changed ones, drop deleted ones with their pages.

    New playlists wait until Liked Songs have been materialized once, so that their pages get hearts or say
    why they have none (Liked Songs that cannot be read are materialized as such and block nothing).
    A playlist's run key is its id and snapshot: a run that fails is not asked for again until the
    playlist changes or the schedule refreshes everything. While a long Spotify rate limit holds (see
    ``rate_limit``), ticks skip, saying until when.
    """
    try:
        playlists = rate_limit.call_spotify(context.instance, source.list_playlists)
    except SpotifyRateLimited as error:
        return dg.SkipReason(rate_limit.waiting_message(error.until))
    known = set(context.instance.get_dynamic_partitions(playlist_partitions.name))
    to_add, to_delete = partition_changes(known, playlists)
    if to_add and context.instance.get_latest_materialization_event(liked_tracks.key) is None:
        return dg.SensorResult(run_requests=[liked_songs_request()])
    remove_deleted_pages(output, to_delete, context.log)
    written = {key: snapshot for key, snapshot in page_snapshots(context.instance).items() if key in known}
    changed = playlists_to_refresh(playlists, written)
    context.log.info(
        f"{len(playlists)} playlists: {len(to_add)} new, {len(changed) - len(to_add)} changed, {len(to_delete)} gone"
    )
    requests = []
    if to_add:
        requests.append(playlist_partitions.build_add_request(to_add))
    if to_delete:
        requests.append(playlist_partitions.build_delete_request(to_delete))
    return dg.SensorResult(
        run_requests=[playlist_request(p.id, run_key=f"{p.id}:{p.snapshot_id}", name=p.display_name) for p in changed],
        dynamic_partitions_requests=requests,
    )


#: Evaluates the index's automation condition every 30 s while the daemon runs (Dagster's default automation sensor
#: starts stopped).
index_automation_sensor = dg.AutomationConditionSensorDefinition(
    "playlists_index_automation",
    target=[playlists_index],
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)


def run_playlists(tags: Mapping[str, str], order: Sequence[str]) -> list[str]:
    """The playlist partitions a run covers, by its tags (``order``: the partition keys in their order)."""
    if tags.get(PARTITION_TAG) in order:
        return [tags[PARTITION_TAG]]
    if tags.get(RANGE_START) in order and tags.get(RANGE_END) in order:
        return list(order[order.index(tags[RANGE_START]) : order.index(tags[RANGE_END]) + 1])
    return []


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.STARTED, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=10
)
def playlist_names_on_runs(context: dg.RunStatusSensorContext):
    """Tag a run of playlists that has no names yet (launched from the UI) with their names, as its pages recorded them."""
    run = context.dagster_run
    if PLAYLIST_TAG in run.tags or PLAYLISTS_TAG in run.tags:
        return
    keys = run_playlists(run.tags, context.instance.get_dynamic_partitions(playlist_partitions.name))
    if keys:
        context.instance.add_run_tags(run.run_id, name_tags(keys, page_names(context.instance, set(keys))))
