"""The clustering-quality benchmark, on a tiny stand-in of ../shared: it prints its figures (values not checked)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[1]
BENCH = [sys.executable, str(PROJECT / "bench" / "clustering_quality.py")]
AUDIO = ["danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness"]
EXPORTIFY_HEADER = (
    "Track URI,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms),Popularity,Explicit,Added By,Added At,"
    "Genres,Record Label,Danceability,Energy,Key,Loudness,Mode,Speechiness,Acousticness,Instrumentalness,Liveness,"
    "Valence,Tempo,Time Signature"
)


def track_id(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), 22))


def stand_in(root: Path) -> Path:
    """A ``shared`` folder with 6 genres x 120 tracks, 6 Exportify playlists of 25 tracks and a floor sketch."""
    rng = np.random.default_rng(0)
    rows = []
    for genre in range(6):
        centre = rng.uniform(0.1, 0.9, len(AUDIO))
        for _ in range(120):
            values = np.clip(centre + rng.normal(0, 0.08, len(AUDIO)), 0, 1)
            rows.append({"track_id": track_id(rng), "artists": "A", "album_name": "B", "track_name": "C",
                         "popularity": 50, "duration_ms": 200_000, "explicit": False, **dict(zip(AUDIO, values)),
                         "key": 1, "loudness": -8.0 - genre, "mode": 1, "tempo": 90.0 + 10 * genre,
                         "time_signature": 4, "track_genre": f"genre{genre}"})
    (root / "benchmark_data").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(root / "benchmark_data" / "spotify_tracks_114_genres.csv")
    playlists = root / "real_data" / "exportify" / "someone"
    playlists.mkdir(parents=True)
    for playlist in range(6):
        lines = [EXPORTIFY_HEADER]
        for number in range(25):
            d, e, v, a, i, s, li = np.clip(rng.uniform(0, 1, 7) * 0.3 + playlist * 0.12, 0, 1)
            lines.append(f"spotify:track:{track_id(rng)},Song {number},Album,Artist,2020-01-01,200000,50,false,,"
                         f",,Label,{d:.3f},{e:.3f},1,-7.0,1,{s:.3f},{a:.3f},{i:.3f},{li:.3f},{v:.3f},{100 + playlist * 20},4")
        (playlists / f"Playlist_{playlist}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "bench").mkdir()
    (root / "bench" / "floor_sketch.py").write_text("def floor(X):\n    return b''\n")
    return root


@pytest.mark.slow
def test_prints_every_figure_for_the_project_and_both_baselines(tmp_path):
    shared = stand_in(tmp_path / "shared")
    done = subprocess.run(
        [*BENCH, "--shared", str(shared), "--mixes", "3", "--exportify-mixes", "2", "--speed-repeats", "1", "--big", "500"],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout
    assert "## Genre mixes: 3 mixes of 3-5 genres" in report and "## Exportify mixes: 2 mixes" in report
    for method in ("project (cluster_features)", "KMeans, true k", "KMeans, silhouette-best k"):
        assert report.count(method) == 2
    for figure in ("one cluster:", "NMI", "ARI", "silhouette", "k: ", "order invariance", "time per playlist"):
        assert report.count(figure) >= 6, figure
    assert "100-track mix, clustering + scatter PNG" in report and "100-track mix, clustering alone" in report
    assert report.count("ratio of medians") == 2
    assert "500-track mix, clustering: median" in report


def test_says_clearly_when_the_shared_folder_is_absent(tmp_path):
    done = subprocess.run([*BENCH, "--shared", str(tmp_path / "nowhere")], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 2
    assert "is absent: is ../shared there?" in done.stderr and "spotify_tracks_114_genres.csv" in done.stderr
