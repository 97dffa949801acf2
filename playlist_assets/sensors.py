"""The sensors: playlist discovery, the index's automation, and playlist names on the runs launched from the UI.

Discovery keeps the "playlists" partitions and pages in step with the source's playlists. Each tick lists the
playlists once (for Spotify: one request per 50 playlists) and compares each ``snapshot_id`` with the one its page
was last written for (recorded in the instance); only new and changed playlists get a run, so an unchanged library
costs the listing and nothing else. With publishing on, a playlist whose clusters were not published for its
snapshot gets a run of its page and cluster_playlists; the playlists publishing created are never partitions.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.assets import library_map, liked_tracks, playlists_index
from playlist_assets.assets.publish import unpublished
from playlist_assets.instance_queries import page_names, page_records
from playlist_assets.jobs import (
    PARTITION_TAG,
    PLAYLIST_TAG,
    PLAYLISTS_TAG,
    PUBLISH_KEYS,
    RANGE_END,
    RANGE_START,
    liked_songs_request,
    name_tags,
    playlist_request,
    refresh_job,
)
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import playlist_ids, playlist_key, playlist_partitions, record_playlist_ids
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources.spotify_client import SpotifyRateLimited
from playlist_assets.writers.files import remove_playlist_outputs
from playlist_assets.writers.publish_state import created_playlist_ids
from playlist_assets.writers.spotify import publish_mode


@dataclass(frozen=True)
class LibraryChanges:
    """What a listing of the library changes, by partition key: ``listed`` keys the playlists as listed."""

    listed: dict[str, PlaylistInfo]
    added: list[str]  # new playlists, and renamed ones under their new name
    deleted: list[str]  # playlists gone, and renamed ones under their old name
    renamed: list[str]  # the deleted keys of playlists still listed (under another name)
    gone: list[str]  # the ids of the playlists gone, whose pages go too
    changed: list[str]  # the playlists whose page is missing or was written for another snapshot, in listed order
    incomplete: list[str] = field(default_factory=list)  # the others whose page lacks tracks a service did not answer
    unpublished: list[str] = field(default_factory=list)  # the others whose clusters are not published for it
    created: list[str] = field(default_factory=list)  # names of the listed playlists made by publishing: left out

    def summary(self) -> str:
        """The changes in words: "2 new, 1 removed, 1 under a new key" (renamed)."""
        renamed = f", {len(self.renamed)} under a new key" if self.renamed else ""
        return f"{len(self.added) - len(self.renamed)} new, {len(self.deleted) - len(self.renamed)} removed{renamed}"


def library_changes(instance: dg.DagsterInstance, playlists: list[PlaylistInfo]) -> LibraryChanges:
    """How the partitions and pages must change to match ``playlists``, as listed by the source.

    An empty listing deletes nothing: a whole library gone at once is more likely an outage than real. A page
    written under a key that was deleted since does not count (its folder went with it). The playlists that
    publishing created are left out.
    """
    created = created_playlist_ids(instance)
    made = [playlist.display_name for playlist in playlists if playlist.id in created]
    playlists = [playlist for playlist in playlists if playlist.id not in created]
    listed = {playlist_key(playlist): playlist for playlist in playlists}
    known = set(instance.get_dynamic_partitions(playlist_partitions.name))
    deleted = sorted(known - set(listed)) if playlists else []
    ids = playlist_ids(instance, deleted)
    ids_listed = {playlist.id for playlist in playlists}
    renamed = [key for key in deleted if ids.get(key) in ids_listed]
    gone = sorted({playlist_id for playlist_id in ids.values() if playlist_id not in ids_listed})
    written = {key: record for key, record in page_records(instance).items() if key in known}
    changed = [
        key for key, playlist in listed.items() if key not in written or written[key].snapshot_id != playlist.snapshot_id
    ]
    pages_due = set(changed)
    incomplete = [key for key in listed if key not in pages_due and written[key].unreached]
    to_publish = [key for key in unpublished(instance, listed) if key not in pages_due]
    added = sorted(set(listed) - known)
    return LibraryChanges(listed, added, deleted, renamed, gone, changed, incomplete, to_publish, made)


def remove_pages_of_gone_playlists(output: OutputFolder, gone: list[str], log) -> None:
    """Remove the page and image folders of the playlists gone from the library (see the README for why)."""
    for playlist_id in gone:
        for folder in remove_playlist_outputs(output.root, playlist_id):
            log.info(f"Removed {folder}: playlist {playlist_id} is gone from the library")


@dg.sensor(job=refresh_job, minimum_interval_seconds=120, default_status=dg.DefaultSensorStatus.RUNNING)
def playlist_discovery_sensor(context: dg.SensorEvaluationContext, source: PlaylistSource, output: OutputFolder):
    """Add new playlists as partitions, refresh new and changed ones, drop deleted ones with their pages.

    New playlists wait until Liked Songs have been materialized once, so that their pages get hearts or say
    why they have none (Liked Songs that cannot be read are materialized as such and block nothing).
    A renamed playlist gets a new partition (its key follows its name) and the old one is deleted; its folders go
    when its page under the new name is written. A playlist's run key is its partition key and snapshot: a run that
    fails is not asked for again until the playlist changes or the schedule refreshes everything. While a long
    Spotify rate limit holds (see ``rate_limit``), ticks skip, saying until when.
    """
    try:
        playlists = rate_limit.call_spotify(context.instance, source.list_playlists)
    except SpotifyRateLimited as error:
        return dg.SkipReason(rate_limit.waiting_message(error.until))
    changes = library_changes(context.instance, playlists)
    if changes.added and context.instance.get_latest_materialization_event(liked_tracks.key) is None:
        return dg.SensorResult(run_requests=[liked_songs_request()])
    record_playlist_ids(context.instance, [changes.listed[key] for key in changes.added])
    remove_pages_of_gone_playlists(output, changes.gone, context.log)
    context.log.info(f"{len(playlists)} playlists: {changes.summary()}, {len(changes.changed) - len(changes.added)} changed")
    requests = []
    if changes.added:
        requests.append(playlist_partitions.build_add_request(changes.added))
    if changes.deleted:
        requests.append(playlist_partitions.build_delete_request(changes.deleted))
    run_requests = [
        playlist_request(key, run_key=f"{key}:{changes.listed[key].snapshot_id}", name=changes.listed[key].display_name)
        for key in changes.changed
    ]
    for key in changes.unpublished:  # its page is current: the page (which may link files to paste) and publishing
        playlist = changes.listed[key]
        run_key = f"{key}:{playlist.snapshot_id}:{publish_mode()}"
        run_requests.append(playlist_request(key, run_key, playlist.display_name, PUBLISH_KEYS))
    return dg.SensorResult(run_requests=run_requests, dynamic_partitions_requests=requests)


#: Evaluates the automation condition of the index and the library map every 30 s while the daemon runs (Dagster's
#: default automation sensor starts stopped).
index_automation_sensor = dg.AutomationConditionSensorDefinition(
    "playlists_index_automation",
    target=[library_map, playlists_index],
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
