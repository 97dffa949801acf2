"""A backfill of every playlist launched the way a user launches it, timed against the floor for the same work.

    ./run.sh python bench/daemon_backfill.py                                  # 200 playlists x 100 tracks
    ./run.sh python bench/daemon_backfill.py --playlists 4 --tracks 20        # a smoke run

On a fresh temporary DAGSTER_HOME (the project's dagster.yaml, SQLite) and the synthetic library of
bench/synthetic.py (code location bench/synthetic_definitions.py), it registers the playlists as partitions and
materializes Liked Songs first, in this process, as ``./run.sh`` does; then it starts a gRPC code server (``dagster
code-server start``, the command of deploy/Dockerfile), a dagster-webserver and a dagster-daemon that load the code
location from it (with --managed-code-servers: as ``./run.sh ui``, the webserver and the daemon each start their
own code server, the daemon a new one every minute), and launches a backfill of all partitions of the five
per-playlist assets through the webserver's GraphQL API (``launchPartitionBackfill``, as the UI's
"Materialize all" does). The daemon's backfill loop picks it up and submits runs of up to
PLAYLIST_ASSETS_PARTITIONS_PER_RUN playlists to the run queue, which starts at most
``concurrency.runs.max_concurrent_runs`` at once, each in a process of its own (the default run launcher).

It prints the wall time from the launch until every run of the backfill ended, the floor for the same work (the
sum of ``floor(X)`` of ../shared/bench/floor_sketch.py over the playlists' feature matrices, measured in this
process before the servers start) divided by 2 cores, their ratio, and where the time went, from the instance's
run records and events. Every process it starts is stopped at the end, also on failure.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # run as a script: the project's bench and playlist_assets_tests packages
from bench.daemon_timeline import CORES, CpuSampler, run_timeline, where_the_time_went  # noqa: E402
from playlist_assets_tests.servers import LOCATION, BACKFILL, Processes, free_port, graphql  # noqa: E402

FLOOR_FOLDER = PROJECT.parent / "shared" / "bench"
DAEMONS = {"BACKFILL", "QUEUED_RUN_COORDINATOR"}  # the daemon's loops a backfill needs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=200, help="N playlists (default 200)")
    parser.add_argument("--tracks", type=int, default=100, help="M tracks per playlist (default 100)")
    parser.add_argument("--per-run", type=int, help="playlists per run (PLAYLIST_ASSETS_PARTITIONS_PER_RUN; default the project's)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the backfill (default 1,800)")
    parser.add_argument("--managed-code-servers", action="store_true",
                        help="as ./run.sh ui: the webserver and the daemon each start their own code server (the daemon"
                        " a new one every minute), instead of both using one gRPC code server as deploy/ does")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs (with the runs' output) in this folder")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped from outside: still stop what it started
    with tempfile.TemporaryDirectory(prefix="playlist_daemon_bench_") as folder:
        return run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> int:
    home, output = folder / "dagster_home", folder / "output"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    workspace, code_port = folder / "workspace.yaml", free_port()
    if args.managed_code_servers:
        workspace.write_text(
            "load_from:\n  - python_module:\n      module_name: bench.synthetic_definitions\n"
            f"      working_directory: {json.dumps(str(PROJECT))}\n"
        )
    else:
        workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {code_port}\n"
                             "      location_name: bench.synthetic_definitions\n")
    settings = {"DAGSTER_HOME": str(home), "PLAYLIST_ASSETS_OUTPUT": str(output),
                "BENCH_PLAYLISTS": str(args.playlists), "BENCH_TRACKS": str(args.tracks)}
    if args.per_run:
        settings["PLAYLIST_ASSETS_PARTITIONS_PER_RUN"] = str(args.per_run)
    os.environ.update(settings)  # before the imports below: the code location reads them when imported

    import dagster as dg

    from bench.backfill import machine
    from bench.synthetic import library
    from bench.synthetic_definitions import SIZE
    from bench.synthetic_definitions import defs as synthetic_definitions
    from playlist_assets import cli
    from playlist_assets.assets.settings import PARTITIONS_PER_RUN
    from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS
    from playlist_assets.partitions import add_playlist_partitions

    defs = synthetic_definitions()
    instance = dg.DagsterInstance.get()
    keys = add_playlist_partitions(instance, defs.resources["source"].list_playlists())
    defs.resolve_job_def("refresh_playlists").execute_in_process(instance=instance, asset_selection=LIKED_KEYS, run_config=cli.QUIET)
    floor_line, floor_seconds, floor_cpu = measure_floor([library(**SIZE).features(number) for number in range(len(keys))])
    import_seconds = code_location_import_seconds()

    load_at_start = os.getloadavg()[0]
    logs = args.logs or folder
    logs.mkdir(parents=True, exist_ok=True)
    processes = Processes({**os.environ, **settings}, logs)
    try:
        if not args.managed_code_servers:  # the command of deploy/Dockerfile, on this machine
            processes.start("code_server", ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
                                            "-m", "bench.synthetic_definitions", "-d", str(PROJECT)])
            processes.wait_for("the code server", lambda: code_server_loaded(code_port), timeout=600)
        port = free_port()
        processes.start("webserver", ["dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)])
        processes.start("daemon", ["dagster-daemon", "run", "-w", str(workspace)])
        processes.wait_for("the webserver's code location", lambda: location_loaded(port), timeout=600)
        processes.wait_for("the daemon's loops", lambda: DAEMONS <= set(instance.get_daemon_heartbeats()), timeout=600)
        cpu = CpuSampler(processes)
        launched_at = time.time()
        answer = graphql(port, BACKFILL, params={"assetSelection": [{"path": key.path} for key in PLAYLIST_KEYS],
                                                 "allPartitions": True})["launchPartitionBackfill"]
        if answer["__typename"] != "LaunchBackfillSuccess":
            raise RuntimeError(f"the backfill was not launched: {answer}")
        backfill_id = answer["backfillId"]

        def backfill_ended():
            status = instance.get_backfill(backfill_id).status
            return None if status.value in {"REQUESTED", "CANCELING", "FAILING"} else status

        status = processes.wait_for("the backfill", lambda: cpu.sample() or backfill_ended(), timeout=args.timeout, every=0.5)
        status_seen_at = time.time()
    except Exception:
        for name, _ in processes.started:
            print(f"--- {name}.log (end)\n{processes.log_tail(name)}", file=sys.stderr)
        raise
    finally:
        stopped = processes.stop()

    records = instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    pages = len(list((output / "playlists").glob("*/clusters.md")))
    runs = [run_timeline(instance, record) for record in records]
    ended_at = max(timeline["end"] for timeline in runs)
    wall = ended_at - launched_at
    floor_per_core = floor_seconds / CORES if floor_seconds else None
    lines = [
        f"machine: {machine()}; load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        f"library: {args.playlists:,} playlists x {args.tracks:,} tracks (bench/synthetic.py), fresh SQLite instance,"
        f" concurrency.runs.max_concurrent_runs {instance.get_concurrency_config().run_queue_config.max_concurrent_runs}",
        "launched: through dagster-webserver's GraphQL API (launchPartitionBackfill, all partitions of the five"
        " per-playlist assets), Liked Songs materialized first; runs started by dagster-daemon, each in its own process,"
        + (" the webserver and the daemon each with the code servers they start (as ./run.sh ui)" if args.managed_code_servers
           else " by one gRPC code server (dagster code-server start, as deploy/) that the webserver and the daemon use"),
        f"backfill {status.value}: {len(runs)} runs of up to {PARTITIONS_PER_RUN} playlists, {pages} of {len(keys)} pages written",
        f"daemon backfill wall time: {wall:.1f} s from the launch until every run ended",
        floor_line,
    ]
    if floor_per_core:
        lines.append(f"ratio daemon backfill / (floor / {CORES} cores): {wall / floor_per_core:.2f}   (target <= 2)")
        after_tick = ended_at - min(run["created"] for run in runs)
        lines.append(
            f"  the same from the backfill loop's first tick (the wait for it, 0 to 30 s, left out): {after_tick:.1f} s,"
            f" ratio {after_tick / floor_per_core:.2f}"
        )
    lines += where_the_time_went(runs, launched_at, ended_at, status_seen_at, import_seconds)
    lines.append(cpu.summary(floor_cpu))
    lines.append(f"processes stopped: {stopped}")
    print("\n".join(lines))
    succeeded = status.value == "COMPLETED_SUCCESS" and pages == len(keys)
    return 0 if succeeded else 1


def measure_floor(matrices: list) -> tuple[str, float | None, float | None]:
    """A line saying what the floor is, the sum of ``floor(X)`` over ``matrices`` in seconds and its CPU seconds
    (None, None without the sketch)."""
    if not (FLOOR_FOLDER / "floor_sketch.py").is_file():
        return f"floor: {FLOOR_FOLDER / 'floor_sketch.py'} is missing, so no floor and no ratio are printed", None, None
    sys.path.insert(0, str(FLOOR_FOLDER))
    from floor_sketch import floor

    floor(matrices[0])  # imports, fonts, first figure
    started, cpu_started = time.perf_counter(), time.process_time()
    for matrix in matrices:
        floor(matrix)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    line = (f"floor: sum of floor(X) over the {len(matrices)} playlists' feature matrices {seconds:.1f} s"
            f" (../shared/bench/floor_sketch.py, measured in this process before the servers started),"
            f" / {CORES} cores = {seconds / CORES:.1f} s")
    return line, seconds, cpu


def code_location_import_seconds() -> float:
    """Seconds a fresh Python process takes to import and load the code location (part of every run's start-up)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from bench.synthetic_definitions import defs; defs()"], check=True, cwd=PROJECT)
    return time.perf_counter() - started


def code_server_loaded(port: int) -> bool:
    from dagster._grpc.client import DagsterGrpcClient
    from dagster._serdes import deserialize_value

    try:
        answer = deserialize_value(DagsterGrpcClient(port=port, host="127.0.0.1").list_repositories())
    except Exception:  # not listening yet, or still loading the code location
        return False
    if type(answer).__name__ == "SerializableErrorInfo":
        raise RuntimeError(f"the code server could not load bench.synthetic_definitions: {answer.message}")
    return True


def location_loaded(port: int) -> bool:
    entries = graphql(port, LOCATION)["workspaceOrError"]["locationEntries"]
    kinds = {entry["locationOrLoadError"]["__typename"] for entry in entries if entry["locationOrLoadError"]}
    if "PythonError" in kinds:
        raise RuntimeError("the code location bench.synthetic_definitions failed to load (see webserver.log)")
    return kinds == {"RepositoryLocation"}


if __name__ == "__main__":
    sys.exit(main())
