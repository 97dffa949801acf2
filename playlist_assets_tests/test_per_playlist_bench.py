"""The per-playlist benchmark, on small playlists and a stand-in floor: it prints its figures (values not checked)."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.per_playlist import PARTS, compare_with_floor

PROJECT = Path(__file__).resolve().parents[1]


def stand_in_floor(folder: Path) -> Path:
    """A ``floor_sketch.py`` whose ``floor`` notes the shape of each matrix it is given in ``shapes.txt``."""
    folder.mkdir()
    shapes = folder / "shapes.txt"
    (folder / "floor_sketch.py").write_text(
        f"def floor(X):\n    with open({str(shapes)!r}, 'a') as file:\n        file.write(f'{{X.shape}}\\n')\n    return b''\n"
    )
    return shapes


def test_each_size_gets_medians_a_ratio_and_the_split(tmp_path):
    shapes = stand_in_floor(tmp_path / "bench")
    lines = compare_with_floor(sizes=(30, 40), rounds=2, floor_folder=tmp_path / "bench")
    report = "\n".join(lines)
    assert "interleaved, 2 rounds" in lines[0] and "the floor sketch (" in lines[0]
    for size in (30, 40):
        [line] = [line for line in lines if f" {size} tracks: path " in line]
        assert " ms, floor " in line and "ratio of medians " in line
    assert report.count("split (medians): ") == 2
    for part in PARTS:
        assert report.count(f"{part} ") >= 2 and "x floor)" in report
    # The floor ran on each playlist's feature matrix (tracks x 9 audio columns): a warm-up and 2 rounds per size.
    assert shapes.read_text().splitlines() == ["(30, 9)"] * 3 + ["(40, 9)"] * 3


def test_without_the_floor_sketch_it_says_so_and_prints_no_ratio(tmp_path):
    lines = compare_with_floor(sizes=(30,), rounds=1, floor_folder=tmp_path)
    report = "\n".join(lines)
    assert "floor_sketch.py is missing, no ratio printed" in lines[0]
    assert " 30 tracks: path " in report and "split (medians): features " in report
    assert "ratio" not in report.replace("no ratio printed", "") and "x floor" not in report


@pytest.mark.slow
def test_runs_standalone():
    done = subprocess.run(
        [sys.executable, "bench/per_playlist.py", "--sizes", "20", "--rounds", "1"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert " 20 tracks: path " in done.stdout and "split (medians): features " in done.stdout
