"""What preview analysis costs, against a local stub of Deezer, and what the one-scale rule trades.

    ./run.sh python bench/previews.py [--tracks 1000] [--clips 12] [--mixes 12] [--shared ../shared]

Printed:
- CPU per 30-second clip (128 kbps stereo MP3, synthetic mixes of drums, chords and noise at varied tempi):
  ``describe_clip`` with decoding, median and 90th percentile (target: median <= 100 ms);
- a first run of the feature chain over ``--tracks`` tracks Deezer has never been asked about, at Deezer's limit
  (50 requests per 5 s) on a stub on 127.0.0.1 serving those clips: wall time against the least the rate limit
  allows (a burst of 50, then 50 more every 5 s), and the process's CPU against the wall time (target: limited by the rate);
- a refresh of the same tracks: requests to Deezer (target: none);
- the scale rule: on seeded genre mixes of ``benchmark_data`` (Spotify's features), clustered when only a share
  of the tracks has features: NMI on the placed tracks, NMI over every track (unplaced tracks count as one
  group) and the share placed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile
from sklearn.metrics import normalized_mutual_info_score

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # run as a script: the project's bench and playlist_assets_tests packages

from playlist_assets.analysis import cluster_features  # noqa: E402
from playlist_assets.features import FeatureChain, PreviewFeatures  # noqa: E402
from playlist_assets.features.preview_analysis import describe_clip  # noqa: E402
from playlist_assets.sources import web_api  # noqa: E402
from playlist_assets_tests.deezer_stub import FakeDeezer  # noqa: E402

RATE = 44_100
COVERAGES = (1.0, 0.9, 0.75, 0.6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--mixes", type=int, default=12)
    parser.add_argument("--shared", type=Path, default=PROJECT.parent / "shared")
    args = parser.parse_args()
    clips = [synthetic_clip(n) for n in range(args.clips)]
    cpu = []
    for clip in clips * 3:
        started = time.process_time()
        describe_clip(clip)
        cpu.append(time.process_time() - started)
    kbps = statistics.mean(len(clip) for clip in clips) * 8 / 30 / 1000
    print(f"CPU per 30-second clip ({len(clips)} clips, {kbps:.0f} kbps stereo MP3, 3 rounds): median "
          f"{statistics.median(cpu) * 1000:.0f} ms, 90th percentile {np.percentile(cpu, 90) * 1000:.0f} ms "
          f"(target: median <= 100 ms)")
    first_run_and_refresh(clips, args.tracks, statistics.median(cpu))
    scale_rule(args.shared, args.mixes)


def synthetic_clip(n: int) -> bytes:
    """30 s of stereo: a kick and noise hats at 70-170 BPM, a chord of sines, a noise bed; 128 kbps MP3."""
    rng = np.random.default_rng(n)
    bpm = 70 + 100 * rng.random()
    t = np.arange(30 * RATE) / RATE
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    signal = sum(0.08 * np.sin(2 * np.pi * root * ratio * t) for ratio in (1, 1.25, 1.5))
    signal += 10 ** (-rng.uniform(2, 4)) * rng.standard_normal(len(t))
    kick = np.sin(2 * np.pi * 60 * t[: RATE // 10]) * np.exp(-t[: RATE // 10] * 30)
    hat = rng.standard_normal(RATE // 40) * np.exp(-np.arange(RATE // 40) / (RATE / 400))
    for beat in np.arange(0, 29.5, 60 / bpm):
        start = int(beat * RATE)
        signal[start : start + len(kick)] += 0.6 * kick
        half = start + int(30 / bpm * RATE)
        signal[half : half + len(hat)] += rng.uniform(0.1, 0.4) * hat
    stereo = np.stack([signal, np.roll(signal, 40)], axis=1) * rng.uniform(0.3, 0.9)
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(stereo, -1, 1), RATE, format="MP3", bitrate_mode="CONSTANT", compression_level=0.65)
    return buffer.getvalue()


def first_run_and_refresh(clips: list[bytes], count: int, cpu_per_clip: float) -> None:
    rows = {
        f"{n:022d}": {"name": f"Song {n}", "album": "", "album_art_url": "", "artists": ("Band",), "artist_ids": (),
                      "label": "", "release_date": "2020", "duration_ms": 180_000, "explicit": False,
                      "isrc": f"USBEN{n:07d}", "added_at": "", "position": n, "url": ""}
        for n in range(count)
    }
    tracks = web_api.track_frame(rows)
    with FakeDeezer() as deezer, tempfile.TemporaryDirectory() as cache:
        for n in range(count):
            deezer.add(f"USBEN{n:07d}", f"Song {n}", "Band", 180, clips[n % len(clips)])
        provider = PreviewFeatures(api_root=deezer.server.url)  # Deezer's limit: 50 requests per 5 s
        chain = FeatureChain(previews=provider, cache_dir=cache)
        wall, cpu = time.perf_counter(), time.process_time()
        found = chain.features(tracks)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        requests = len(deezer.api_paths())
        least = (requests - 1) // provider.requests_per_window * provider.window_seconds  # a window's burst, then waits
        print(f"First run over {count} unknown tracks ({provider.workers} workers, {provider.requests_per_window} "
              f"requests per {provider.window_seconds:g} s): {len(found.dropna(subset=['tempo_bpm']))} measured, "
              f"{requests} API requests + {len(deezer.downloads())} downloads in {wall:.1f} s; the rate limit alone "
              f"needs {least:.1f} s (wall / rate-limit minimum {wall / least:.2f})")
        print(f"  CPU {cpu:.1f} s of the process (stub server included) = {cpu / wall:.0%} of one core over the run; "
              f"analysis needs {cpu_per_clip * count:.1f} s (median per clip x tracks): CPU / rate-limit time "
              f"{cpu_per_clip * count / least:.2f} -> limited by Deezer's rate limit, not by our CPU")
        asked = len(deezer.server.paths())
        wall = time.perf_counter()
        again = chain.features(tracks)
        wall = time.perf_counter() - wall
        print(f"Refresh with nothing new: {len(deezer.server.paths()) - asked} requests to Deezer, {wall:.2f} s, "
              f"same descriptors: {'yes' if again.equals(found) else 'no'} (target: no request)")


def scale_rule(shared: Path, count: int) -> None:
    table = shared / "benchmark_data" / "spotify_tracks_114_genres.csv"
    if not table.exists():
        print(f"Scale rule: {table} not found, not measured")
        return
    sys.path.insert(0, str(PROJECT / "bench"))
    from clustering_quality import genre_mixes

    mixes = genre_mixes(shared, count, seed=22)
    print(f"Scale rule: {count} genre mixes of benchmark_data (3-5 genres, Spotify's features), a share of tracks "
          f"with features (at random):")
    rng = np.random.default_rng(22)
    for coverage in COVERAGES:
        placed_nmi, all_nmi, placed_share = [], [], []
        for mix in mixes:
            keep = rng.random(len(mix.features)) < coverage
            features = mix.features.copy()
            features.loc[~keep, features.columns[:9]] = np.nan
            clusters = cluster_features(features).tracks["cluster"].reindex(features.index)
            placed = clusters.notna() & (clusters >= 1)
            placed_nmi.append(normalized_mutual_info_score(mix.labels[placed], clusters[placed]))
            all_nmi.append(normalized_mutual_info_score(mix.labels, clusters.where(placed, 0)))
            placed_share.append(placed.mean())
        print(f"  {coverage:.0%} with features: NMI on the placed tracks {statistics.mean(placed_nmi):.3f}, over every "
              f"track {statistics.mean(all_nmi):.3f}, placed {statistics.mean(placed_share):.0%}")


if __name__ == "__main__":
    main()
