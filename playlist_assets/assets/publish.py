"""cluster_playlists: each cluster of a playlist as a playlist you can play, when PLAYLIST_ASSETS_PUBLISH is not off.

``dry-run``: the plan (the playlists it would create, the tracks it would add and remove), nothing sent.
``spotify``: with the Spotify source, one private playlist per cluster, kept in place through the source's client
(``writers.spotify.publish``); with a library that has no account, each cluster's tracks in a text file beside its
page, linked from it, to paste into Spotify's desktop app (written with the page: ``OutputFolder.paste_files``).
See docs/publishing.md.

A playlist that fails to publish fails alone: the others are recorded as they are done, its failure is recorded on
its partition, and the step then fails naming it. ``unpublished`` tells the sensor and the command line which
playlists were not yet published (or planned) for their snapshot in this mode, so that turning publishing on, or
going from ``dry-run`` to ``spotify``, needs no ``--all``.
"""

from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path

import dagster as dg

from playlist_assets.assets.each_playlist import ByPlaylist, playlist_results
from playlist_assets.assets.playlists import CLUSTERINGS, TRACKS
from playlist_assets.assets.settings import (
    BACKFILL_POLICY,
    GROUP,
    NETWORK_RETRY_POLICY,
    SPOTIFY_POOL,
    retried_only_when_transient,
)
from playlist_assets.instance_queries import MATERIALIZATION, latest_records
from playlist_assets.model import Clustering, PlaylistFailed, PlaylistInfo, PlaylistTracks
from playlist_assets.page_record import failure_from_metadata, failure_observation
from playlist_assets.partitions import playlist_partitions
from playlist_assets.publishing import DesiredCluster, plan_metadata, plan_text, playlist_clusters, track_uri
from playlist_assets.render import page_path, playlist_slug
from playlist_assets.render.markdown import count
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.sources.spotify_client import SpotifyClient
from playlist_assets.writers import publish_state
from playlist_assets.writers.files import PASTE_FILE
from playlist_assets.writers.spotify import WritingNotAllowed, dry_run, publish, publish_mode

#: Metadata of a playlist's record: the mode it was published in, the snapshot it was published for, and in words
#: what was done (the plan, what was written, the files to paste).
MODE, SNAPSHOT, SUMMARY = "publish mode", "snapshot_id", "publishing"


def _record(playlist: PlaylistInfo, mode: str, text: str, **figures) -> dict:
    return {
        "playlist": playlist.display_name,
        "playlist_id": playlist.id,
        SNAPSHOT: playlist.snapshot_id,
        MODE: mode,
        SUMMARY: dg.MetadataValue.text(text),
        **figures,
    }


def _clusters(created: frozenset[str], tracks: PlaylistTracks, clustering: Clustering) -> dict[int, DesiredCluster] | str:
    """The clusters to publish, or why the playlist is left alone (nothing written for it, nothing unfollowed);
    ``created``: the playlists this project made."""
    if tracks.unreadable:
        return f"not readable, nothing written ({tracks.unreadable})"
    if tracks.playlist.id in created:
        return "made by playlist_assets from clusters, not published again"
    return playlist_clusters(tracks.tracks, clustering) if clustering.clustered else {}


def _track_names(tracks: PlaylistTracks) -> dict[str, str]:
    return {track_uri(track_id): name for track_id, name in tracks.tracks["name"].items()}


def plan_only(instance: dg.DagsterInstance, raw_tracks: PlaylistTracks, track_clusters: Clustering) -> dict:
    """What publishing would write for the playlist, without any request (``dry-run``)."""
    playlist = raw_tracks.playlist
    clusters = _clusters(publish_state.created_playlist_ids(instance), raw_tracks, track_clusters)
    if isinstance(clusters, str):
        return _record(playlist, "dry-run", f"{playlist.display_name}: {clusters}")
    plan = dry_run(instance, playlist, clusters)
    return _record(playlist, "dry-run", plan_text(plan, _track_names(raw_tracks)), **plan_metadata(plan))


def publish_to_spotify(
    instance: dg.DagsterInstance,
    client: SpotifyClient,
    refused: list[str],
    raw_tracks: PlaylistTracks,
    track_clusters: Clustering,
) -> dict:
    """Make the playlist's clusters Spotify playlists; after a refusal of the login (``refused``), no more requests."""
    playlist = raw_tracks.playlist
    clusters = _clusters(publish_state.created_playlist_ids(instance), raw_tracks, track_clusters)
    if isinstance(clusters, str):
        return _record(playlist, "spotify", f"{playlist.display_name}: {clusters}")
    if refused:
        raise dg.Failure(refused[0], allow_retries=False)
    try:
        published = publish(instance, client, playlist, clusters)
    except WritingNotAllowed as error:
        refused.append(str(error))
        raise dg.Failure(str(error), allow_retries=False) from None
    links = {str(cluster): f"https://open.spotify.com/playlist/{pid}" for cluster, pid in published.playlist_ids.items()}
    figures = {
        **plan_metadata(published.plan),
        "write requests": published.writes,
        "spotify playlists": dg.MetadataValue.json(links),
        **({"adopted": published.adopted} if published.adopted else {}),
    }
    return _record(playlist, "spotify", plan_text(published.plan, _track_names(raw_tracks)), **figures)


def paste_files_beside_page(root: Path, raw_tracks: PlaylistTracks, track_clusters: Clustering) -> dict:
    """Where the page step puts each cluster's tracks to paste into Spotify (a library without an account)."""
    playlist = raw_tracks.playlist
    clusters = playlist_clusters(raw_tracks.tracks, track_clusters) if track_clusters.clustered else {}
    folder = page_path(root, playlist_slug(playlist.id, playlist.name)).parent
    files = [str(folder / PASTE_FILE.format(cluster)) for cluster in clusters]
    what = f"the tracks of {count(len(files), 'cluster')} to paste into Spotify, beside the page"
    text = f"{playlist.display_name}: {what if files else 'nothing to paste'}"
    return _record(playlist, "spotify", text, **{"paste files": dg.MetadataValue.json(files)})


@dg.asset(
    partitions_def=playlist_partitions,
    backfill_policy=BACKFILL_POLICY,
    group_name=GROUP,
    pool=SPOTIFY_POOL,
    retry_policy=NETWORK_RETRY_POLICY,
    kinds={"spotify"},
    output_required=False,
    ins={"raw_tracks": TRACKS, "track_clusters": CLUSTERINGS},
)
def cluster_playlists(
    context: dg.AssetExecutionContext,
    raw_tracks: ByPlaylist[PlaylistTracks],
    track_clusters: ByPlaylist[Clustering],
    source: PlaylistSource,
    output: OutputFolder,
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation]:
    """The playlist's clusters as playlists you can play (PLAYLIST_ASSETS_PUBLISH): planned (``dry-run``), or written
    to Spotify, or beside the page to paste (``spotify``); each playlist recorded as soon as it is done."""
    mode, instance = publish_mode(), context.instance
    writes = mode == "spotify" and isinstance(source, SpotifySource)
    if mode != "spotify":
        build = partial(plan_only, instance)
    elif writes:
        build = partial(publish_to_spotify, instance, source.client(), [])
    else:
        build = partial(paste_files_beside_page, output.root)
    inputs = {"raw_tracks": raw_tracks, "track_clusters": track_clusters}
    failed: dict[str, PlaylistFailed] = {}
    with retried_only_when_transient():
        for item in playlist_results(context, build, writes, inputs, failures_on=context.asset_key):
            if isinstance(item, dg.AssetObservation):
                yield item
            elif isinstance(item[1], PlaylistFailed):
                failed[item[0]] = item[1]
            else:
                yield dg.AssetMaterialization(asset_key=context.asset_key, partition=item[0], metadata=item[1])
    for key, failure in failed.items():
        yield failure_observation(key, failure, context.asset_key)
    if failed:
        named = "; ".join(f"{failure.playlist or key} ({key}): {failure.reason}" for key, failure in failed.items())
        total = len(context.partition_keys)
        raise dg.Failure(f"{len(failed)} of {total} playlists not published: {named}", allow_retries=False)


def unpublished(instance: dg.DagsterInstance, listed: Mapping[str, PlaylistInfo]) -> list[str]:
    """The keys of ``listed`` whose clusters were not published (or planned) for their snapshot in the mode of
    PLAYLIST_ASSETS_PUBLISH, as the latest record of each says; none when publishing is off."""
    mode = publish_mode()
    if mode == "off":
        return []
    done = {}
    for key, record in latest_records(instance, cluster_playlists.key, MATERIALIZATION).items():
        metadata = record.asset_materialization.metadata
        done[key] = (metadata[SNAPSHOT].value, metadata[MODE].value) if MODE in metadata else None
    return [key for key, playlist in listed.items() if done.get(key) != (playlist.snapshot_id, mode)]


def publishing_summary(
    events: list[dg.DagsterEvent], failed_pages: set[str], dry_run: bool
) -> tuple[list[str], list[str]]:
    """What cluster_playlists' ``events`` in a refresh planned or wrote, and a line per reason why playlists were not
    published in the end (those of ``failed_pages`` aside: their failure is said with their page), in words."""
    done = {
        event.partition: {name: entry.value for name, entry in event.materialization.metadata.items()}
        for event in events
        if event.partition is not None and event.is_step_materialization
    }
    by_reason: dict[str, list[str]] = {}
    for event in events:
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION and event.partition not in {*done, *failed_pages}:
            failure = failure_from_metadata(event.asset_observation_data.asset_observation.metadata)
            by_reason.setdefault(failure.reason, []).append(failure.playlist or event.partition)
    records = list(done.values())
    writing = [record for record in records if record.get("write requests")]
    lines = []
    if writing:
        sent = count(sum(record["write requests"] for record in writing), "write request")
        lines.append("Publishing, dry run (nothing sent):" if dry_run else f"Published to Spotify in {sent}:")
        lines += [f"  {line}" for record in writing for line in record[SUMMARY].splitlines()]
    if quiet := len(records) - len(writing) - sum("paste files" in record for record in records):
        lines.append(f"  {count(quiet, 'playlist')} with nothing to write to Spotify")
    if files := sum(len(record.get("paste files") or []) for record in records):
        lines.append(f"{count(files, 'file')} of tracks to paste into Spotify's desktop app, beside the pages")
    problems = [
        f"  Not published ({count(len(names), 'playlist')}: {', '.join(names)}): {reason}"
        for reason, names in by_reason.items()
    ]
    return lines, problems
