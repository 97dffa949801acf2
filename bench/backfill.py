"""Backfill a synthetic library through Dagster and through a plain Python loop; print the figures.

    ./run.sh python bench/backfill.py            # 1,000 playlists x 100 tracks + one of 10,000
    ./run.sh python bench/backfill.py --quick    # 40 x 100 + one of 10,000, about a minute
    ./run.sh python bench/backfill.py --quick --postgres   # the same on PostgreSQL (DAGSTER_PG_* variables)

On a fresh instance (a temporary DAGSTER_HOME with the project's dagster.yaml; with --postgres, its PostgreSQL
storage on a scratch database created on the server the DAGSTER_PG_* variables name), in this one process:
1. the plain loop: the same per-playlist functions the assets call (Web API parsing, features, clustering,
   scatter, page), on the same data, writing the same files: the floor for this work;
2. the Dagster backfill: ``cli.refresh(everything=True)``, which runs the job in process over ranges of up
   to PARTITIONS_PER_RUN consecutive partitions, the runs a BackfillPolicy.multi_run backfill launches
   (same range tags, same multi-partition steps, IO manager and event log); not included: the start-up
   of a process per run that the daemon's run launcher adds, measured apart and printed;
3. a one-partition run of the big playlist, as from the UI, and a refresh where nothing changed.
"""

import argparse
import contextlib
import cProfile
import filecmp
import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
QUICK = {"playlists": 40, "tracks": 100, "big": 10_000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=1000, help="N playlists (default 1,000)")
    parser.add_argument("--tracks", type=int, default=100, help="M tracks per playlist (default 100)")
    parser.add_argument("--big", type=int, default=10_000, help="tracks of the one big playlist, 0 for none")
    parser.add_argument("--per-run", type=int, default=100, help="playlists per run (PLAYLIST_ASSETS_PARTITIONS_PER_RUN)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK['playlists']} x {QUICK['tracks']} + one of {QUICK['big']:,}")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the Dagster backfill to FILE")
    parser.add_argument("--postgres", action="store_true", help="instance on PostgreSQL (DAGSTER_PG_HOST, _PORT, _USER, "
                        "_PASSWORD, _DB: a database to connect to; the benchmark creates and drops its own beside it)")
    args = parser.parse_args(argv)
    if args.quick:
        vars(args).update(QUICK)
    os.environ["PLAYLIST_ASSETS_PARTITIONS_PER_RUN"] = str(args.per_run)  # read when the assets are imported
    with tempfile.TemporaryDirectory(prefix="playlist_bench_") as folder, instance_storage(args.postgres) as storage:
        return run(args, Path(folder), storage)


@contextlib.contextmanager
def instance_storage(postgres: bool) -> Iterator[str]:
    """The instance's storage, named; with ``postgres``, a scratch database whose DAGSTER_PG_* variables are set."""
    if not postgres:
        yield "SQLite"
        return
    from playlist_assets_tests.postgres import scratch_database

    env = os.environ
    server = {"host": env["DAGSTER_PG_HOST"], "port": env.get("DAGSTER_PG_PORT", "5432"), "user": env["DAGSTER_PG_USER"],
              "password": env.get("DAGSTER_PG_PASSWORD", ""), "dbname": env["DAGSTER_PG_DB"]}
    with scratch_database(server) as variables:
        os.environ.update(variables)
        yield "PostgreSQL"


def run(args: argparse.Namespace, folder: Path, storage: str) -> int:
    home = folder / "dagster_home"
    home.mkdir()
    settings = [PROJECT / "dagster.yaml"] + ([PROJECT / "deploy" / "dagster.postgres.yaml"] if storage == "PostgreSQL" else [])
    (home / "dagster.yaml").write_text("".join(path.read_text() for path in settings))
    os.environ["DAGSTER_HOME"] = str(home)

    import dagster as dg

    from bench.synthetic import SyntheticFeatures, SyntheticSource, playlist_id
    from playlist_assets import cli
    from playlist_assets.assets import ALL_ASSETS
    from playlist_assets.assets.settings import PARTITIONS_PER_RUN
    from playlist_assets.instance_storage import batch_events
    from playlist_assets.jobs import PLAYLIST_KEYS, refresh_job
    from playlist_assets.partitions import playlist_key
    from playlist_assets.resources import OutputFolder
    from playlist_assets.storage import PartitionedPickleIOManager

    batch_events()  # as the code location does (playlist_assets/definitions.py)

    size = {"playlists": args.playlists, "tracks": args.tracks, "big": args.big}
    source, features = SyntheticSource(**size), SyntheticFeatures(**size)
    defs = dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[refresh_job],
        resources={
            "source": source,
            "features": features,
            "output": OutputFolder(path=str(folder / "dagster_out")),
            "io_manager": PartitionedPickleIOManager(),
        },
    )
    instance = dg.DagsterInstance.get()
    keys = [playlist.id for playlist in source.list_playlists()]  # what the plain loop fetches
    big_id = playlist_id(args.playlists) if args.big else None
    liked = source.liked_track_ids()

    load_at_start = os.getloadavg()[0]
    plain_loop(source, features, liked, [keys[0]], folder / "warm_up")  # imports, fonts, first figure
    started = time.perf_counter()
    plain_loop(source, features, liked, keys, folder / "plain_out")
    plain = time.perf_counter() - started
    peak_plain = peak_memory_mb()

    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as printed, profiler or contextlib.nullcontext():
        status = cli.refresh(instance, defs, everything=True)
    backfill = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(args.profile)
    if status != 0 or f"{len(keys)} pages written" not in printed.getvalue():
        print(printed.getvalue(), file=sys.stderr)
        return 1
    runs = len(instance.get_runs()) - 1  # Liked Songs' and the playlists' runs (the last one rebuilt the index)
    # The pages, maps and images; the Dagster side also writes the library's index and map, which the loop does not.
    identical = all(same_files(folder / "plain_out" / part, folder / "dagster_out" / part) for part in ("playlists", "images"))

    big_plain = big_dagster = None
    if big_id:
        started = time.perf_counter()
        plain_loop(source, features, liked, [big_id], folder / "plain_big")
        big_plain = time.perf_counter() - started
        job = defs.resolve_job_def(refresh_job.name)
        started = time.perf_counter()
        [big_key] = [playlist_key(playlist) for playlist in source.list_playlists() if playlist.id == big_id]
        job.execute_in_process(instance=instance, partition_key=big_key, asset_selection=PLAYLIST_KEYS, run_config=cli.QUIET)
        big_dagster = time.perf_counter() - started

    runs_before = len(instance.get_runs())
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        cli.refresh(instance, defs)
    unchanged = time.perf_counter() - started
    # Liked Songs are read (and materialized) once per refresh; no playlist may be.
    every_run = instance.get_runs()  # newest first
    new_runs = every_run[: len(every_run) - runs_before]
    only_liked = all(run.asset_selection == {dg.AssetKey("liked_tracks")} for run in new_runs)
    materialized_nothing = only_liked and "\n0 pages written" in printed.getvalue()

    tracks = args.playlists * args.tracks + args.big
    n = len(keys)
    lines = [
        f"machine: {machine()}; load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        f"library: {args.playlists:,} playlists x {args.tracks:,} tracks"
        + (f" + 1 of {args.big:,}" if args.big else "")
        + f" = {n:,} playlists, {tracks:,} tracks",
        f"backfill: {runs - 1} runs of up to {PARTITIONS_PER_RUN} playlists (BackfillPolicy.multi_run) + 1 for Liked Songs"
        f" + 1 for the index, executed in process on a fresh {storage} instance",
        "",
        f"{'':<34}{'wall':>10}{'per playlist':>15}",
        f"{'plain Python loop':<34}{plain:>9.1f}s{plain / n * 1000:>12.0f} ms",
        f"{'Dagster backfill':<34}{backfill:>9.1f}s{backfill / n * 1000:>12.0f} ms",
        f"ratio Dagster / plain loop: {backfill / plain:.2f}   (target <= 1.5)",
        f"Dagster overhead: {(backfill - plain) / n * 1000:.0f} ms per playlist   (target <= 80 ms)",
    ]
    if big_id:
        lines.append(
            f"{args.big:,}-track playlist: plain {big_plain:.2f} s, Dagster one-partition run {big_dagster:.2f} s"
            "   (target <= 3 s end to end)"
        )
    peak = peak_memory_mb()
    startup = code_location_import_seconds()
    lines += [
        f"refresh, nothing changed: {unchanged:.2f} s in process, materialized nothing: {'yes' if materialized_nothing else 'NO'}"
        f"; as a command add {startup:.1f} s of start-up (import of the code location)   (target < 10 s)",
        f"peak memory (maxrss of the process): {peak_plain:,.0f} MB after the plain loop,"
        f" {peak:,.0f} MB at the end   (target < 1 GB)",
        f"pages and PNGs identical between the plain loop and Dagster: {'yes' if identical else 'NO'}",
        f"not included above: a daemon-launched backfill starts one process per run ({runs - 1} runs x about"
        f" {startup:.1f} s here, shared out over concurrency.runs.max_concurrent_runs)",
    ]
    print("\n".join(lines + floor_lines()))
    return 0 if identical and materialized_nothing else 1


def floor_lines() -> list[str]:
    """The per-playlist path against the floor sketch (``bench/per_playlist.py``), when that benchmark is here."""
    if not (PROJECT / "bench" / "per_playlist.py").is_file():
        return ["per-playlist path against the floor: bench/per_playlist.py is missing, no ratio printed"]
    from bench.per_playlist import compare_with_floor

    return compare_with_floor()


def plain_loop(source, features, liked: frozenset, keys: list[str], root: Path) -> None:
    """What the six per-playlist assets do for each playlist, without Dagster."""
    from playlist_assets.analysis import cluster_features
    from playlist_assets.writers.files import write_page, write_playlist_map, write_scatter

    for key in keys:
        tracks = source.fetch_playlist(key)
        found = features.features(tracks.tracks)
        clustering = cluster_features(found)
        path, png = write_scatter(root, tracks, clustering)
        map_file = write_playlist_map(root, tracks, found, clustering)
        write_page(root, tracks, found, clustering, str(path) if png else None, liked, map_file=map_file and str(map_file))


def same_files(left: Path, right: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(left / name, right / name, shallow=False) for name in names)


def peak_memory_mb() -> float:
    """Peak resident memory of this process, in MB (Linux: KB units).

    Its children are not added: the only ones during the runs are Dagster's compute-log watchers (``tail -F`` and
    ``watch_orphans.py``, a few MB each), forked from this process, so their peak counts the pages they shared with
    it at the fork.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def code_location_import_seconds() -> float:
    """Seconds a fresh Python process takes to import and load the code location (the start-up of a run or a command)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from playlist_assets.definitions import defs; defs()"], check=True, cwd=PROJECT)
    return time.perf_counter() - started


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import dagster

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), {memory_gb:.0f} GB RAM,"
        f" Python {platform.python_version()}, Dagster {dagster.__version__}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    sys.exit(main())
