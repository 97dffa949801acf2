"""``playlist-assets``: register every playlist as a partition and materialize the new and changed ones.

The same job the schedule runs, executed in this process on the persistent instance in ``DAGSTER_HOME``,
so that ``dagster dev`` afterwards shows the runs, partitions and pages. A playlist is materialized when
its page was never written or was written for another snapshot id than the source lists now (``--all``:
every playlist), in runs of up to PARTITIONS_PER_RUN consecutive playlists, as a backfill would. Liked
Songs are read every time (cheap) and materialized only when they changed; then the pages of the
unchanged playlists are rewritten for their hearts, without recomputing their clusters.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import dagster as dg

from playlist_assets.assets import clusters_page, playlists_index
from playlist_assets.assets.library import liked_fingerprint, liked_tracks
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, partition_ranges, playlist_run_tags, refresh_job
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.index import index_path
from playlist_assets.render.markdown import count
from playlist_assets.sensors import page_snapshots, partition_changes, playlists_to_refresh, remove_deleted_pages

#: Run config that keeps Dagster's console logger to warnings.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="playlist-assets", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["refresh", "login"], default="refresh",
                        help="refresh (the default): materialize new and changed playlists; "
                        "login: authorize your Spotify app once")
    parser.add_argument("--output", default=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output"), help="folder for the pages")
    parser.add_argument("--all", action="store_true", help="materialize every playlist, changed or not")
    parser.add_argument("--no-browser", action="store_true", help="login: print the link instead of opening a browser")
    args = parser.parse_args(argv)
    os.environ["PLAYLIST_ASSETS_OUTPUT"] = str(Path(args.output).resolve())
    if args.command == "login":
        return log_in(open_browser=not args.no_browser)
    if not os.environ.get("DAGSTER_HOME"):
        parser.error("DAGSTER_HOME is not set: run ./run.sh, which keeps the instance in .dagster_home/")
    # Imported here: the definitions read PLAYLIST_ASSETS_OUTPUT, set just above.
    from playlist_assets.definitions import defs

    return refresh(dg.DagsterInstance.get(), defs, everything=args.all)


def log_in(open_browser: bool) -> int:
    """Run Spotify's authorization once and cache the token (see the README, "Use your Spotify account")."""
    from playlist_assets.definitions import spotify_source
    from playlist_assets.login import login

    if not os.environ.get("SPOTIPY_CLIENT_ID"):
        print("Set SPOTIPY_CLIENT_ID (and SPOTIPY_REDIRECT_URI, SPOTIPY_CLIENT_SECRET) first", file=sys.stderr)
        return 2
    with dg.build_resources({"source": spotify_source()}) as resources:
        print(login(resources.source, open_browser=open_browser))
    return 0


def refresh(instance: dg.DagsterInstance, defs: dg.Definitions, everything: bool = False) -> int:
    """Sync partitions with the source, then materialize what changed (see above); print the pages written."""
    started = time.perf_counter()
    with dg.build_resources({"source": defs.resources["source"]}) as resources:  # resolves EnvVar settings
        source = resources.source
    playlists = source.list_playlists()
    known = set(instance.get_dynamic_partitions(playlist_partitions.name))
    to_add, to_delete = partition_changes(known, playlists)
    instance.add_dynamic_partitions(playlist_partitions.name, to_add)
    for key in to_delete:
        instance.delete_dynamic_partition(playlist_partitions.name, key)
    remove_deleted_pages(defs.resources["output"], to_delete, dg.get_dagster_logger())
    print(f"{len(playlists)} playlists ({len(to_add)} new, {len(to_delete)} removed)")
    left_out = source.left_out_playlists()
    for why in dict.fromkeys(why for _, why in left_out):
        names = [name for name, reason in left_out if reason == why]
        print(f"  {count(len(names), 'playlist')} left out, {why}: {', '.join(names)}")

    job = defs.resolve_job_def(refresh_job.name)
    liked_changed = _refresh_liked_songs(instance, job, source, everything)
    if liked_changed is None:
        print("Liked Songs could not be read; see the run in the Dagster UI", file=sys.stderr)
        return 1
    changed = {p.id for p in (playlists if everything else playlists_to_refresh(playlists, page_snapshots(instance)))}
    unchanged = {p.id for p in playlists} - changed
    order = instance.get_dynamic_partitions(playlist_partitions.name)
    pages, failed = {}, {}
    names = {playlist.id: playlist.display_name for playlist in playlists}
    for keys in partition_ranges(order, changed):
        _materialize(instance, job, keys, PLAYLIST_KEYS, pages, failed, names)
    if liked_changed:
        for keys in partition_ranges(order, unchanged):
            _materialize(instance, job, keys, [clusters_page.key], pages, failed, names)
    for playlist in playlists:
        if playlist.id in pages:
            k, path = pages[playlist.id]
            print(f"  {playlist.display_name} ({_count_clusters(k)}): {path}")
        elif playlist.id in failed:
            print(f"  {playlist.display_name} ({playlist.id}): FAILED, run {failed[playlist.id]}", file=sys.stderr)
    if unchanged and not liked_changed:
        print(f"  {len(unchanged)} unchanged since their page was written (--all materializes them anyway)")
    changed_anything = bool(pages or failed or to_add or to_delete)
    indexed = _refresh_index(instance, job, defs, changed_anything)
    print(f"{len(pages)} pages written in {time.perf_counter() - started:.1f} s")
    return 1 if failed or not indexed else 0


def _refresh_index(instance, job, defs: dg.Definitions, changed: bool) -> bool:
    """Rebuild the library's index when a playlist was run, added or removed, or it was never built; False if it failed."""
    if not changed and instance.get_latest_materialization_event(playlists_index.key) is not None:
        return True
    result = job.execute_in_process(
        instance=instance, asset_selection=[playlists_index.key], run_config=QUIET, raise_on_error=False
    )
    if result.success:
        print(f"Index of the library: {index_path(defs.resources['output'].root)}")
    else:
        print(f"The index of the library could not be written; see run {result.run_id} in the Dagster UI", file=sys.stderr)
    return result.success


def _refresh_liked_songs(instance: dg.DagsterInstance, job, source, everything: bool) -> bool | None:
    """Materialize Liked Songs if they changed (or ``everything``): True if so, False if unchanged, None if it failed."""
    event = instance.get_latest_materialization_event(liked_tracks.key)
    recorded = event.asset_materialization.metadata.get("fingerprint") if event else None
    if not everything and recorded is not None and recorded.value == liked_fingerprint(source.liked_track_ids()):
        return False
    result = job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS, run_config=QUIET, raise_on_error=False)
    return True if result.success else None


def _materialize(instance, job, keys: Sequence[str], selection, pages: dict, failed: dict, names: dict) -> None:
    """One run over the partitions ``keys`` (consecutive); if it fails, one run per playlist, so only failing ones fail.

    Adds ``key -> (k, page path)`` to ``pages`` and ``key -> run id`` to ``failed``; the run is tagged with the
    playlists' ``names`` (by key).
    """
    one = {"partition_key": keys[0]} if len(keys) == 1 else {}
    result = job.execute_in_process(
        instance=instance,
        asset_selection=selection,
        run_config=QUIET,
        raise_on_error=False,
        tags=playlist_run_tags(keys, names),
        **one,
    )
    if not result.success and len(keys) > 1:
        for key in keys:
            _materialize(instance, job, [key], selection, pages, failed, names)
        return
    for event in result.get_asset_materialization_events():
        if event.asset_key == clusters_page.key:
            metadata = event.materialization.metadata
            pages[event.partition] = (metadata["k"].value, metadata["path"].value)
    if not result.success:
        failed[keys[0]] = result.run_id


def _count_clusters(k: int) -> str:
    return count(k, "cluster") if k else "not clustered"


if __name__ == "__main__":
    sys.exit(main())
