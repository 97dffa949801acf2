"""``playlist-assets``: register every playlist as a partition and materialize the new and changed ones.

The same job the schedule runs, executed in this process on the persistent instance in ``DAGSTER_HOME``,
so that ``dagster dev`` afterwards shows the runs, partitions and pages. A playlist is materialized when
its page was never written, was written for another snapshot id than the source lists now, or lacks tracks
a feature service could not be reached for (``--all``: every playlist), in runs of up to PARTITIONS_PER_RUN
consecutive playlists, as a backfill would; a playlist that fails costs the others of its run nothing. Liked
Songs are read once per refresh (cheap; when they cannot be read the pages go on without hearts); when they
changed, the pages of the unchanged playlists are rewritten for their hearts, without recomputing their clusters;
an unchanged playlist without a map (its page written before the maps) gets its map and page the same way. A long
Spotify rate limit stops the refresh and is remembered (see ``rate_limit``). With PLAYLIST_ASSETS_PUBLISH on, a
playlist whose clusters were not published for its snapshot is published (its page rewritten), and the summary
says what was planned or written.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.assets import cluster_playlists, clusters_map, clusters_page, library_map, liked_tracks
from playlist_assets.assets import playlists_index, track_clusters
from playlist_assets.assets.publish import publishing_summary
from playlist_assets.assets.settings import LASTING_ERRORS
from playlist_assets.jobs import LIKED_KEYS, PUBLISH_KEYS, partition_ranges, playlist_keys, playlist_run_tags, refresh_job
from playlist_assets.model import PlaylistInfo
from playlist_assets.page_record import PageRecord, failure_from_metadata
from playlist_assets.partitions import add_playlist_partitions, playlist_key, playlist_partitions
from playlist_assets.progress import Progress
from playlist_assets.render.index import index_path
from playlist_assets.render.markdown import count
from playlist_assets.render.paths import library_map_path
from playlist_assets.sensors import library_changes, remove_pages_of_gone_playlists
from playlist_assets.sources.spotify_client import SpotifyRateLimited, SpotifyUnavailable
from playlist_assets.writers.spotify import publish_mode

#: Failures of the listing said in one line, without a traceback: no login, a refusal, a folder or file that
#: cannot be read, Spotify unavailable.
EXPECTED_ERRORS = (*LASTING_ERRORS, SpotifyUnavailable, OSError, RuntimeError)

#: Run config that keeps Dagster's console logger quiet: a failure is said in the summary, in words, and the
#: run's log (in the Dagster UI) keeps the details and stack traces.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
#: Run config that clusters each playlist afresh, ignoring its previous clusters (see docs/identity.md).
RECLUSTER = {"ops": {track_clusters.op.name: {"config": {"recluster": True}}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="playlist-assets", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["refresh", "login"], default="refresh",
                        help="refresh (the default): materialize new and changed playlists; "
                        "login: authorize your Spotify app once")
    parser.add_argument("--output", default=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output"), help="folder for the pages")
    parser.add_argument("--all", action="store_true", help="materialize every playlist, changed or not")
    parser.add_argument("--recluster", action="store_true",
                        help="cluster every playlist afresh: new numbers and names, no changes said (implies --all)")
    parser.add_argument("--no-browser", action="store_true", help="login: print the link instead of opening a browser")
    args = parser.parse_args(argv)
    os.environ["PLAYLIST_ASSETS_OUTPUT"] = str(Path(args.output).resolve())
    if args.command == "login":
        return log_in(open_browser=not args.no_browser)
    if not os.environ.get("DAGSTER_HOME"):
        parser.error("DAGSTER_HOME is not set: run ./run.sh, which keeps the instance in .dagster_home/")
    from playlist_assets.definitions import defs

    try:  # the definitions read PLAYLIST_ASSETS_OUTPUT, set just above
        definitions = defs()
    except ValueError as error:
        print(f"playlist-assets: {error}", file=sys.stderr)
        return 2
    return refresh(dg.DagsterInstance.get(), definitions, everything=args.all, recluster=args.recluster)


def log_in(open_browser: bool) -> int:
    """Run Spotify's authorization once and cache the token (see the README, "Use your Spotify account")."""
    from playlist_assets.definitions import spotify_source
    from playlist_assets.login import login

    if not os.environ.get("SPOTIPY_CLIENT_ID"):
        print("Set SPOTIPY_CLIENT_ID (and SPOTIPY_REDIRECT_URI, SPOTIPY_CLIENT_SECRET) first", file=sys.stderr)
        return 2
    try:
        publish_mode()  # the login asks to write playlists when publishing
    except ValueError as error:
        print(f"playlist-assets: {error}", file=sys.stderr)
        return 2
    with dg.build_resources({"source": spotify_source()}) as resources:
        print(login(resources.source, open_browser=open_browser))
    return 0


def refresh(
    instance: dg.DagsterInstance, defs: dg.Definitions, everything: bool = False, recluster: bool = False
) -> int:
    """Sync partitions with the source, then materialize what changed (see above); print the pages written.

    ``recluster``: every playlist, its clusters made afresh (``RECLUSTER``).

    Expected failures (no login, a refusal, an unreadable folder, a rate limit) end with one line saying why.
    """
    started = time.perf_counter()
    # The refresh's runs share pooled connections to the instance's database, as the webserver's queries do, instead
    # of a new one per query (on PostgreSQL each costs an authentication; SQLite's storage ignores this).
    instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=20)
    try:
        with dg.build_resources({"source": defs.resources["source"]}) as resources:  # resolves EnvVar settings
            source = resources.source
            playlists = rate_limit.call_spotify(instance, source.list_playlists)
    except SpotifyRateLimited as error:
        print(rate_limit.waiting_message(error.until), file=sys.stderr)
        return 1
    except EXPECTED_ERRORS as error:
        print(f"The playlists could not be listed: {error}", file=sys.stderr)
        return 1
    changes = library_changes(instance, playlists)
    add_playlist_partitions(instance, [changes.listed[key] for key in changes.added])
    for key in changes.deleted:
        instance.delete_dynamic_partition(playlist_partitions.name, key)
    remove_pages_of_gone_playlists(defs.resources["output"], changes.gone, dg.get_dagster_logger())
    print(f"{len(playlists)} playlists ({changes.summary()})")
    left_out = source.left_out_playlists() + [(name, "made by publishing clusters") for name in changes.created]
    for why in dict.fromkeys(why for _, why in left_out):
        named = [name for name, reason in left_out if reason == why]
        print(f"  {count(len(named), 'playlist')} left out, {why}: {', '.join(named)}")

    job = defs.resolve_job_def(refresh_job.name)
    liked_changed = _refresh_liked_songs(instance, job)
    if until := rate_limit.waiting_until(instance):
        print(rate_limit.waiting_message(until), file=sys.stderr)
        return 1
    changed = set(changes.listed if everything or recluster else changes.changed + changes.incomplete)
    unpublished = set(changes.unpublished) - changed
    unmapped = set(changes.listed) - changed - instance.get_materialized_partitions(clusters_map.key)  # pages before maps
    unchanged = set(changes.listed) - changed - unpublished - unmapped
    order = instance.get_dynamic_partitions(playlist_partitions.name)
    runs = [(keys, playlist_keys()) for keys in partition_ranges(order, changed)]
    runs += [(keys, PUBLISH_KEYS) for keys in partition_ranges(order, unpublished - unmapped)]
    runs += [(keys, [clusters_map.key, clusters_page.key]) for keys in partition_ranges(order, unmapped - unpublished)]
    runs += [(keys, [clusters_map.key, *PUBLISH_KEYS]) for keys in partition_ranges(order, unmapped & unpublished)]
    if liked_changed:
        runs += [(keys, [clusters_page.key]) for keys in partition_ranges(order, unchanged)]
    names = {key: playlist.display_name for key, playlist in changes.listed.items()}
    outcome = Outcome()
    with Progress(sum(len(keys) for keys, _ in runs)) as progress:
        for keys, selection in runs:
            if rate_limit.waiting_until(instance):
                break
            run_config = {**QUIET, **RECLUSTER} if recluster and track_clusters.key in selection else QUIET
            _materialize(instance, job, keys, selection, run_config, outcome, progress, names)
    indexed = _refresh_index(instance, job, defs, bool(outcome.pages or outcome.failed or changes.added or changes.deleted))
    _print_summary(playlists, outcome, unchanged if not liked_changed else set(), started)
    not_published = _print_publishing(outcome)
    if until := rate_limit.waiting_until(instance):
        print(rate_limit.waiting_message(until), file=sys.stderr)
    return 1 if outcome.failed or not_published or until or not indexed else 0


def _refresh_index(instance, job, defs: dg.Definitions, changed: bool) -> bool:
    """Rebuild the library's map and index when a playlist was run, added or removed, or they were never built; False
    if that failed."""
    if not changed and instance.get_latest_materialization_event(playlists_index.key) is not None:
        return True
    result = job.execute_in_process(
        instance=instance, asset_selection=[library_map.key, playlists_index.key], run_config=QUIET, raise_on_error=False
    )
    if result.success:
        print(f"Map of the library: {library_map_path(defs.resources['output'].root)}")
        print(f"Index of the library: {index_path(defs.resources['output'].root)}")
    else:
        print(f"The library's map and index could not be written: {_failure_reason(result)}", file=sys.stderr)
    return result.success


def _refresh_liked_songs(instance: dg.DagsterInstance, job: dg.JobDefinition) -> bool:
    """Materialize Liked Songs (read once per refresh): True if they changed since they were last materialized.

    When they cannot be read the pages go on without hearts; the line saying so is printed here. When their run
    fails (a long rate limit: the caller stops), the pages keep the Liked Songs last materialized.
    """
    before = instance.get_latest_materialization_event(liked_tracks.key)
    result = job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS, run_config=QUIET, raise_on_error=False)
    if not result.success:
        if not rate_limit.waiting_until(instance):
            print(f"Liked Songs could not be read: {_failure_reason(result)}", file=sys.stderr)
        return False
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    if "unreadable" in metadata:
        print(f"Liked Songs could not be read: {metadata['unreadable'].value}; hearts are missing", file=sys.stderr)
    recorded = before.asset_materialization.metadata.get("fingerprint") if before else None
    return recorded is None or recorded.value != metadata["fingerprint"].value


@dataclass
class Outcome:
    """What the runs of a refresh did: ``pages`` partition key -> (k, path); ``failed`` partition key -> reason;
    ``publishing`` the events of cluster_playlists."""

    pages: dict[str, tuple[int, str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    publishing: list[dg.DagsterEvent] = field(default_factory=list)


def _materialize(
    instance, job, keys: Sequence[str], selection, run_config: dict, outcome: Outcome, progress: Progress,
    names: dict[str, str],
) -> None:
    """One run over the partitions ``keys`` (consecutive), tagged with the playlists' ``names`` (by key): a failing
    playlist fails alone (see ``clusters_page``)."""
    run_id = str(uuid.uuid4())
    instance.add_event_listener(run_id, progress.on_event)
    one = {"partition_key": keys[0]} if len(keys) == 1 else {}
    result = job.execute_in_process(
        instance=instance,
        asset_selection=selection,
        run_config=run_config,
        raise_on_error=False,
        run_id=run_id,
        tags=playlist_run_tags(keys, names),
        **one,
    )
    for event in result.all_events:
        if event.asset_key == cluster_playlists.key:
            outcome.publishing.append(event)
        if event.asset_key != clusters_page.key or event.partition is None:
            continue
        if event.is_step_materialization:
            page = PageRecord.from_metadata(event.step_materialization_data.materialization.metadata)
            outcome.pages[event.partition] = (page.k, page.path)
        elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
            failure = failure_from_metadata(event.asset_observation_data.asset_observation.metadata)
            outcome.failed[event.partition] = failure.reason
    if not result.success:
        for key in keys:
            if key not in outcome.pages:
                outcome.failed.setdefault(key, _failure_reason(result))


def _print_publishing(outcome: Outcome) -> bool:
    """What publishing planned or wrote; a line per reason why playlists whose page was written were not published."""
    done, problems = publishing_summary(outcome.publishing, set(outcome.failed), publish_mode() == "dry-run")
    for line in done:
        print(line)
    for line in problems:
        print(line, file=sys.stderr)
    return bool(problems)


def _failure_reason(result: dg.ExecuteInProcessResult) -> str:
    """Why a run failed: its first step failure in words, and the run's id."""
    failures = result.get_step_failure_events()
    reason = failures[0].step_failure_data.error.message.strip() if failures else "the run failed"
    return f"{reason} (run {result.run_id})"


def _print_summary(playlists: list[PlaylistInfo], outcome: Outcome, unchanged: set[str], started: float) -> None:
    """Each page written, each playlist failed with its reason (by name), and the totals."""
    for playlist in playlists:
        key = playlist_key(playlist)
        if key in outcome.pages:
            k, path = outcome.pages[key]
            print(f"  {playlist.display_name} ({_count_clusters(k)}): {path}")
        elif key in outcome.failed:
            print(f"  {playlist.display_name} ({playlist.id}): FAILED: {outcome.failed[key]}", file=sys.stderr)
    if unchanged:
        print(f"  {len(unchanged)} unchanged since their page was written (--all materializes them anyway)")
    failed = f", {len(outcome.failed)} failed" if outcome.failed else ""
    print(f"{len(outcome.pages)} pages written{failed} in {time.perf_counter() - started:.1f} s")


def _count_clusters(k: int) -> str:
    return count(k, "cluster") if k else "not clustered"


if __name__ == "__main__":
    sys.exit(main())
