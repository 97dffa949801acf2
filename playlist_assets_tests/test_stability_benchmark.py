"""The stability benchmark, on the tiny stand-in of ../shared: it prints its figures for both methods (values not checked)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from playlist_assets_tests.test_clustering_benchmark import stand_in

PROJECT = Path(__file__).resolve().parents[1]
BENCH = [sys.executable, str(PROJECT / "bench" / "stability.py")]


@pytest.mark.slow
def test_prints_every_figure_for_both_methods_and_every_kind_of_edit(tmp_path):
    shared = stand_in(tmp_path / "shared")
    done = subprocess.run(
        [*BENCH, "--shared", str(shared), "--mixes", "2", "--edits", "1"],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    assert report.startswith("## Stability: 2 mixes of 3-5 genres")
    for edit in ("1 out + 1 in", "5 out + 5 in", "40 tracks of a new genre"):
        assert re.search(rf"^  {re.escape(edit)} +today \(fresh\) +\d", report, re.MULTILINE), edit
    assert len(re.findall(r"^ +with previous +\d", report, re.MULTILINE)) == 3
    assert report.count("time with previous / fresh (sums): ") == 3
    for column in ("k same", "ARI mean/min", "kept #", "NMI", "own cluster", "time"):
        assert column in report
    assert "## Targets (issue 20)" in report
    assert report.count("met: ") == 7


def test_says_clearly_when_the_shared_folder_is_absent(tmp_path):
    done = subprocess.run([*BENCH, "--shared", str(tmp_path / "nowhere")], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "is absent: is ../shared there?" in done.stderr and "spotify_tracks_114_genres.csv" in done.stderr
