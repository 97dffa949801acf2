"""``playlist-assets``: register every playlist as a partition and materialize the whole graph.

The same job the schedule runs, executed in this process on the persistent instance in
``DAGSTER_HOME``, so that ``dagster dev`` afterwards shows the runs, partitions and pages.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="playlist-assets", description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output"), help="folder for the pages")
    args = parser.parse_args(argv)
    os.environ["PLAYLIST_ASSETS_OUTPUT"] = str(Path(args.output).resolve())
    if not os.environ.get("DAGSTER_HOME"):
        parser.error("DAGSTER_HOME is not set: run ./run.sh, which keeps the instance in .dagster_home/")
    return materialize_everything()


def materialize_everything() -> int:
    """Sync partitions with the source, refresh Liked Songs, then every playlist; print the pages."""
    # Imported here: the definitions read PLAYLIST_ASSETS_OUTPUT, which main() sets first.
    import dagster as dg

    from playlist_assets.definitions import defs
    from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, refresh_job
    from playlist_assets.partitions import playlist_partitions
    from playlist_assets.render.markdown import count
    from playlist_assets.sensors import partition_changes

    started = time.perf_counter()
    instance = dg.DagsterInstance.get()
    source = defs.resources["source"]
    playlists = source.list_playlists()
    known = set(instance.get_dynamic_partitions(playlist_partitions.name))
    to_add, to_delete = partition_changes(known, playlists)
    instance.add_dynamic_partitions(playlist_partitions.name, to_add)
    for key in to_delete:
        instance.delete_dynamic_partition(playlist_partitions.name, key)
    print(f"{len(playlists)} playlists ({len(to_add)} new, {len(to_delete)} removed)")

    job = defs.resolve_job_def(refresh_job.name)
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    liked = job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS, run_config=quiet, raise_on_error=False)
    if not liked.success:
        print("Liked Songs could not be read; see the run in the Dagster UI", file=sys.stderr)
        return 1
    failed = []
    for playlist in playlists:
        result = job.execute_in_process(
            instance=instance,
            partition_key=playlist.id,
            asset_selection=PLAYLIST_KEYS,
            run_config=quiet,
            raise_on_error=False,
        )
        if result.success:
            clustering = result.output_for_node("track_clusters")
            summary = count(clustering.k, "cluster") if clustering.clustered else "not clustered"
            print(f"  {playlist.name} ({summary}): {result.output_for_node('clusters_page')}")
        else:
            failed.append(playlist)
            print(f"  {playlist.name} ({playlist.id}): FAILED, run {result.run_id}", file=sys.stderr)
    print(f"{len(playlists) - len(failed)} pages written in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
