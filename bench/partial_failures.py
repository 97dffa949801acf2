"""A library where some playlists cannot be read costs what the readable ones alone cost; print the figures.

    ./run.sh python bench/partial_failures.py /work/shared/real_data/exportify [--good 93] [--broken 7]

Builds two Exportify folders in a temporary directory from the CSVs found under the given folder: ``--good``
files that parse, and the same plus ``--broken`` copies of real files whose last row's track URI is not one
(a defect no parser can repair). Runs ``cli.refresh`` (ReccoBeats off, nothing on the network) on a fresh
instance for each folder (``--repeat`` times, alternating), and prints the wall times, the ratio of the best
times, and the pages written and playlists failed.
"""

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from playlist_assets import cli
from playlist_assets.assets import ALL_ASSETS
from playlist_assets.definitions import library_resources
from playlist_assets.jobs import refresh_job
from playlist_assets.resources import OutputFolder
from playlist_assets.sources.exportify import LIKED_SONGS_FILE, parse_exportify_csv
from playlist_assets.storage import PartitionedPickleIOManager


def readable_files(folder: Path) -> list[Path]:
    """The playlist CSVs under ``folder`` that parse and have tracks, by path."""
    files = []
    for path in sorted(folder.rglob("*.csv")):
        if path.name.lower() == LIKED_SONGS_FILE:
            continue
        try:
            tracks, _, _ = parse_exportify_csv(path.read_bytes(), str(path))
        except ValueError:
            continue
        if len(tracks):
            files.append(path)
    return files


def broken_copy(path: Path, target: Path) -> None:
    """``path`` copied to ``target`` with its last row's track URI replaced by text that is not one."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    column = next(i for i, name in enumerate(header) if "uri" in name.lower() or name.strip('"').lower() == "track id")
    cells = lines[-1].split(",")
    cells[column] = '"not a track"'
    target.write_text("\n".join([*lines[:-1], ",".join(cells)]) + "\n", encoding="utf-8")


def timed_refresh(folder: Path, work: Path) -> tuple[float, float, str, int]:
    """Wall and CPU seconds, printed summary and exit code of a first refresh of ``folder`` on a fresh instance.

    The runs execute in this process, so its CPU time measures the work even on a machine shared with others.
    """
    resources = {
        **library_resources("exportify", str(folder), reccobeats=False, previews=False),
        "output": OutputFolder(path=str(work / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(work / "storage")),
    }
    defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources)
    (work / "home").mkdir(parents=True)
    (work / "home" / "dagster.yaml").write_text("")
    with dg.DagsterInstance.local_temp(str(work / "home")) as instance:
        printed = io.StringIO()
        started, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            code = cli.refresh(instance, defs)
        return time.perf_counter() - started, time.process_time() - cpu, printed.getvalue(), code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a folder with Exportify CSVs (searched recursively)")
    parser.add_argument("--good", type=int, default=93)
    parser.add_argument("--broken", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="measure both folders this many times, alternating")
    args = parser.parse_args(argv)
    files = readable_files(args.source)
    if len(files) < args.good:
        parser.error(f"only {len(files)} readable CSVs under {args.source}")
    with tempfile.TemporaryDirectory(prefix="partial_failures_") as temporary:
        root = Path(temporary)
        good, mixed = root / "good", root / "mixed"
        for folder in (good, mixed):
            folder.mkdir()
            for n, path in enumerate(files[: args.good]):
                (folder / f"{n:03d}_{path.name}").write_bytes(path.read_bytes())
        for n, path in enumerate(files[-args.broken :]):
            broken_copy(path, mixed / f"broken_{n}_{path.name}")
        wall: dict[str, list[float]] = {"good only": [], "good + broken": []}
        cpu: dict[str, list[float]] = {"good only": [], "good + broken": []}
        for attempt in range(args.repeat):
            for name, folder in (("good only", good), ("good + broken", mixed)):
                seconds, cpu_seconds, printed, code = timed_refresh(folder, root / f"{name.replace(' ', '_')}_{attempt}")
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
                summary = printed.strip().splitlines()[-1]
                failed = printed.count(": FAILED: ")
                print(f"{name:>14}: {seconds:6.1f} s wall, {cpu_seconds:6.1f} s CPU, exit {code}: {summary} "
                      f"({failed} playlists named as failed)")
        for what, figures in (("wall", wall), ("CPU", cpu)):
            ratio = min(figures["good + broken"]) / min(figures["good only"])
            print(f"{args.good} + {args.broken} broken vs {args.good} alone, best {what} time of {args.repeat}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
