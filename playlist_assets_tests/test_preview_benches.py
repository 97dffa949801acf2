"""The preview benchmarks, at a tiny size: they complete and print their figures (the figures are not checked).

``bench/audio_quality.py`` renders real audio with Debian's mma, fluidsynth and timgm6mb-soundfont (``.ci/run``
installs them); without them it fails naming the packages.
"""

import subprocess
from pathlib import Path

import pytest

from playlist_assets_tests.test_clustering_benchmark import stand_in

PROJECT = Path(__file__).resolve().parents[1]


def run(*command: str) -> str:
    done = subprocess.run(["./run.sh", "python", *command], cwd=PROJECT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout


@pytest.mark.slow
def test_the_cost_benchmark_prints_cpu_per_clip_the_rate_limited_first_run_and_a_refresh_asking_nothing(tmp_path):
    shared = stand_in(tmp_path / "shared")
    report = run("bench/previews.py", "--tracks", "60", "--clips", "3", "--mixes", "2", "--shared", str(shared))
    for figure in ("CPU per 30-second clip (3 clips", "First run over 60 unknown tracks", "wall / rate-limit minimum",
                   "CPU / rate-limit time", "Refresh with nothing new: 0 requests to Deezer", "Scale rule:",
                   "60% with features: NMI on the placed tracks"):
        assert figure in report


@pytest.mark.slow
def test_the_audio_quality_benchmark_names_its_sources_and_prints_tempo_loudness_and_clustering_figures():
    report = run("bench/audio_quality.py", "--quick")
    for figure in ("mma grooves: mma ", "GPL-2+", "TimGM6mb soundfont: timgm6mb-soundfont", "CPU per clip",
                   "Tempo of 18 rendered grooves", "within 4 % or an octave off:", "Loudness against pyloudnorm",
                   "Clustering 3 mixes", "mean NMI", "mixes given one cluster"):
        assert figure in report
