"""The daemon backfill benchmark, on a tiny library: the backfill completes, the figures are printed (not checked),
and every process it started is gone."""

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_daemon_backfill_benchmark_completes_prints_its_figures_and_stops_its_processes():
    bench = subprocess.Popen(
        ["./run.sh", "python", "bench/daemon_backfill.py", "--playlists", "4", "--tracks", "20", "--per-run", "2"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        report, errors = bench.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        bench.send_signal(signal.SIGTERM)  # the benchmark stops its servers on SIGTERM too
        bench.communicate(timeout=120)
        raise
    assert bench.returncode == 0, errors[-3000:]
    assert "library: 4 playlists x 20 tracks" in report
    assert "concurrency.runs.max_concurrent_runs 2" in report
    assert "backfill COMPLETED_SUCCESS: 2 runs of up to 2 playlists, 4 of 4 pages written" in report
    assert re.search(r"daemon backfill wall time: \d+\.\d s from the launch until every run ended", report)
    assert re.search(r"ratio daemon backfill / \(floor / 2 cores\): \d+\.\d\d", report) or "no floor and no ratio" in report
    for figure in ("launch -> the backfill daemon's tick created the first run:", "run durations, start to end:",
                   "steps, summed over the runs: raw_tracks", "2 at once:",
                   "CPU seconds from the launch to the end: runs' processes"):
        assert figure in report
    groups = [int(group) for group in re.findall(r"process group (\d+): empty", report)]
    assert len(groups) == 3 and "ALIVE" not in report  # the code server's (with the runs), the webserver's, the daemon's
    for group in groups:
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
