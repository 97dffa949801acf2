"""The backfill benchmark, at a tiny size: it completes and prints its figures (timings are not checked)."""

import subprocess
from pathlib import Path

import pytest

from playlist_assets_tests.postgres import ON_BOTH_STORAGES

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@ON_BOTH_STORAGES
def test_benchmark_backfills_through_dagster_and_prints_the_figures(storage):
    postgres = ["--postgres"] if storage else []  # on the server of the DAGSTER_PG_* variables the fixture set
    done = subprocess.run(
        ["./run.sh", "python", "bench/backfill.py", "--playlists", "5", "--tracks", "30", "--big", "2100", "--per-run", "2",
         *postgres],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    assert f"on a fresh {'PostgreSQL' if storage else 'SQLite'} instance" in report
    assert "5 playlists x 30 tracks + 1 of 2,100 = 6 playlists" in report
    assert "backfill: 3 runs of up to 2 playlists" in report  # 6 partitions, 2 per run
    for figure in ("plain Python loop", "Dagster backfill", "ratio Dagster / plain loop:", "2,100-track playlist: plain",
                   "peak memory (maxrss of the process):"):
        assert figure in report
    assert "refresh, nothing changed:" in report and "materialized nothing: yes" in report
    assert "pages and PNGs identical between the plain loop and Dagster: yes" in report
