"""One playlist's path through the project against the floor sketch, in one process, interleaved.

    ./run.sh python bench/per_playlist.py                           # 100 and 1,000 tracks, 7 rounds
    ./run.sh python bench/per_playlist.py --sizes 100 --rounds 15
    ./run.sh python bench/per_playlist.py --floor /work/shared/bench  # where floor_sketch.py is (default ../shared/bench)

The path is what the per-playlist assets do after the playlist's tracks are read: its features
(``FeatureProvider.features``), ``cluster_features``, ``write_scatter``, ``write_playlist_map``, ``write_page`` and
the page checks (``page_problems``), writing the same files to a temporary folder. Each round runs it on a synthetic playlist
(a different one each round, from ``bench/synthetic.py``) and then ``floor(X)`` of
``../shared/bench/floor_sketch.py`` on that playlist's feature matrix (A B A B ...). Printed per size: the
medians, their ratio, and where the path's time goes (medians of each part, as a share of the floor's).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
FLOOR_FOLDER = PROJECT.parent / "shared" / "bench"
PLAYLISTS = 7  # synthetic playlists per size, taken in turn
PARTS = ("features", "clustering", "scatter", "map", "page", "checks")


def load_floor(folder: Path) -> Callable | None:
    """``floor`` of ``folder/floor_sketch.py``; None when there is no such file."""
    path = folder / "floor_sketch.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("floor_sketch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.floor


def compare_with_floor(sizes=(100, 1000), rounds: int = 7, floor_folder: Path = FLOOR_FOLDER) -> list[str]:
    """Lines to print: per size, the path's and the floor's medians and the ratio of medians, then the split."""
    floor = load_floor(floor_folder)
    where = os.path.relpath(floor_folder / "floor_sketch.py", PROJECT)
    lines = [
        f"per-playlist path ({' + '.join(PARTS)}) vs "
        + (f"the floor sketch ({where})" if floor else f"nothing: the floor sketch {where} is missing, no ratio printed")
        + f"; one process, interleaved, {rounds} rounds; load average (1 min) {os.getloadavg()[0]:.1f} at the start"
    ]
    with tempfile.TemporaryDirectory(prefix="per_playlist_") as folder:
        for size in sizes:
            lines += _compare(size, rounds, floor, Path(folder) / str(size))
    lines.append(f"load average (1 min) {os.getloadavg()[0]:.1f} at the end")
    return lines


def _compare(size: int, rounds: int, floor: Callable | None, root: Path) -> list[str]:
    from bench.synthetic import SyntheticFeatures, SyntheticSource
    from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

    library = {"playlists": PLAYLISTS, "tracks": size, "big": 0}
    source, features = SyntheticSource(**library), SyntheticFeatures(**library)
    liked = source.liked_track_ids()
    playlists = [source.fetch_playlist(playlist.id) for playlist in source.list_playlists()]
    parts: dict[str, list[float]] = {part: [] for part in PARTS}
    path_times, floor_times = [], []
    for number in range(-1, rounds):  # round -1 warms up: imports, fonts, the first figure
        tracks = playlists[number % len(playlists)]
        times = _timed_path(tracks, features, liked, root)
        if number >= 0:
            path_times.append(sum(times.values()))
            for part, seconds in times.items():
                parts[part].append(seconds)
        if floor:
            matrix = features.features(tracks.tracks)[list(AUDIO_FEATURE_COLUMNS)].to_numpy()
            started = time.perf_counter()
            floor(matrix)
            if number >= 0:
                floor_times.append(time.perf_counter() - started)
    path = statistics.median(path_times)
    line = f"{size:>7,} tracks: path {path * 1000:.0f} ms"
    if floor:
        floor_median = statistics.median(floor_times)
        line += f", floor {floor_median * 1000:.0f} ms, ratio of medians {path / floor_median:.2f}   (target <= 1.5)"
    medians = {part: statistics.median(times) for part, times in parts.items()}
    split = ", ".join(f"{part} {_ms(seconds, floor_times)}" for part, seconds in medians.items())
    rest = sum(seconds for part, seconds in medians.items() if part != "clustering")
    return [line, f"{'':>16}split (medians): {split}; all but clustering {_ms(rest, floor_times)}"]


def _ms(seconds: float, floor_times: list[float]) -> str:
    """``"12.3 ms"``, with its share of the floor's median when there is one: ``"12.3 ms (0.12x floor)"``."""
    share = f" ({seconds / statistics.median(floor_times):.2f}x floor)" if floor_times else ""
    return f"{seconds * 1000:.1f} ms{share}"


def _timed_path(tracks, features, liked: frozenset, root: Path) -> dict[str, float]:
    """Seconds of each part of one playlist's path, the way the assets call them."""
    from playlist_assets.analysis import cluster_features
    from playlist_assets.assets.checks import page_problems
    from playlist_assets.writers.files import write_page, write_playlist_map, write_scatter

    marks = [time.perf_counter()]  # before the path, then after each of its PARTS
    found = features.features(tracks.tracks)
    marks.append(time.perf_counter())
    clustering = cluster_features(found)
    marks.append(time.perf_counter())
    image, png = write_scatter(root, tracks, clustering)
    marks.append(time.perf_counter())
    map_file = write_playlist_map(root, tracks, found, clustering)
    marks.append(time.perf_counter())
    page, _ = write_page(root, tracks, found, clustering, str(image) if png else None, liked, map_file=map_file and str(map_file))
    marks.append(time.perf_counter())
    problems = page_problems(page, root, tracks, clustering)
    marks.append(time.perf_counter())
    if any(problems.values()):
        raise RuntimeError(f"the page of {tracks.playlist.display_name} fails its checks: {problems}")
    return {part: end - start for part, start, end in zip(PARTS, marks, marks[1:])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="tracks per playlist (default 100 1000)")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds per size (default 7)")
    parser.add_argument("--floor", type=Path, default=FLOOR_FOLDER, help="the folder of floor_sketch.py (default ../shared/bench)")
    args = parser.parse_args(argv)
    print("\n".join(compare_with_floor(tuple(args.sizes), args.rounds, args.floor)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    sys.exit(main())
