"""How well the clustering finds the groups of real mixed playlists, against two KMeans baselines.

    ./run.sh python bench/clustering_quality.py [--mixes 60] [--shared ../shared] [--speed-repeats 7]

Genre mixes: a fixed, seeded set of mixes of 3 to 5 genres of ``benchmark_data/spotify_tracks_114_genres.csv``
(30 to 120 tracks of each genre; a track listed under two genres of a mix is dropped). Exportify mixes: 3 to 5
playlists of ``real_data/exportify/`` with 20+ tracks each (labels = the source playlist). Each mix is clustered
by ``analysis.cluster_features`` on a frame shaped like ``track_features``' output (audio columns, metadata
columns, ``source``), exactly as the ``track_clusters`` asset calls it, and by two baselines on the standardised
audio columns: KMeans told the true number of groups, and KMeans with the silhouette-best k in 2..10.
Printed per method: share of mixes given one cluster, mean NMI and ARI against the labels, mean silhouette in
the standardised audio space (mixes with k >= 2), the k distribution, order invariance (ARI between the
clustering of the tracks and of the same tracks shuffled), and time per playlist. Then the speed of the
project's clustering, with and without the scatter, against ``bench/floor_sketch.py`` (interleaved, ratio of
medians) on a 100-track mix, and the clustering time of a 10,000-track mix. Reads ``../shared`` in place; copies nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from playlist_assets.analysis import cluster_features
from playlist_assets.features import ExportFeatures, FeatureChain
from playlist_assets.render import render_scatter
from playlist_assets.sources.exportify import parse_exportify_csv
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
GENRE_FILE = Path("benchmark_data") / "spotify_tracks_114_genres.csv"
EXPORTIFY = Path("real_data") / "exportify"
AUDIO = list(AUDIO_FEATURE_COLUMNS)
BASELINE_KS = range(2, 11)


@dataclass
class Mix:
    """One playlist of the benchmark: ``features`` shaped like ``track_features``' output, a label per track."""

    features: pd.DataFrame
    labels: pd.Series


@dataclass
class Figures:
    """The results of one method over the mixes."""

    ks: list[int] = field(default_factory=list)
    nmi: list[float] = field(default_factory=list)
    ari: list[float] = field(default_factory=list)
    silhouettes: list[float] = field(default_factory=list)
    invariance: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def lines(self, name: str) -> list[str]:
        ks = Counter(self.ks)
        one = sum(ks[k] for k in ks if k <= 1) / len(self.ks)
        sil = f"{np.mean(self.silhouettes):.3f}" if self.silhouettes else "n/a"
        return [
            f"  {name}",
            f"    one cluster: {one:.1%} of {len(self.ks)} mixes · NMI {np.mean(self.nmi):.3f} · ARI {np.mean(self.ari):.3f}"
            f" · silhouette {sil} (over {len(self.silhouettes)} mixes with k>=2)",
            "    k: " + ", ".join(f"{k}: {n}" for k, n in sorted(ks.items())),
            f"    order invariance (ARI vs shuffled, min/mean): {min(self.invariance):.3f} / {np.mean(self.invariance):.3f}"
            f" · time per playlist: median {statistics.median(self.seconds) * 1000:.0f} ms",
        ]


def genre_mixes(shared: Path, count: int, seed: int) -> list[Mix]:
    """``count`` seeded mixes of 3-5 genres of the benchmark file, 30-120 tracks of each."""
    table = pd.read_csv(shared / GENRE_FILE, index_col=0)
    rng = np.random.default_rng(seed)
    genres = sorted(table["track_genre"].unique())
    mixes = []
    for _ in range(count):
        chosen = rng.choice(genres, rng.integers(3, 6), replace=False)
        parts = []
        for genre in chosen:
            rows = table[table["track_genre"] == genre].drop_duplicates("track_id")
            parts.append(rows.iloc[np.sort(rng.choice(len(rows), rng.integers(30, 121), replace=False))])
        mix = pd.concat(parts)
        mix = mix[~mix["track_id"].duplicated(keep=False)].set_index("track_id")
        mixes.append(Mix(_as_track_features(mix, "benchmark"), mix["track_genre"]))
    return mixes


def _as_track_features(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Audio columns, then the metadata columns ``features.MetadataFeatures`` gives, then ``source``."""
    frame = rows[AUDIO].astype(float)
    frame["duration_min"] = rows["duration_ms"].astype(float) / 60_000
    frame["explicit"] = rows["explicit"].astype(float)
    frame["popularity"] = rows["popularity"].astype(float)
    frame.index.name = "track_id"
    return frame.assign(source=source)


def exportify_mixes(shared: Path, count: int, seed: int) -> list[Mix]:
    """``count`` seeded mixes of 3-5 Exportify playlists (20+ tracks with features each), as the chain gives them."""
    chain = FeatureChain(export=ExportFeatures())
    playlists = {}
    for file in sorted((shared / EXPORTIFY).rglob("*.csv")):
        if file.name.lower() == "liked_songs.csv":
            continue
        tracks, _, _ = parse_exportify_csv(file.read_bytes(), str(file))
        features = chain.features(tracks)
        if features[AUDIO].notna().all(axis=1).sum() >= 20:
            playlists[file.relative_to(shared / EXPORTIFY).as_posix()] = features
    names = sorted(playlists)
    rng = np.random.default_rng(seed)
    mixes = []
    for _ in range(count):
        chosen = rng.choice(names, rng.integers(3, 6), replace=False)
        mix = pd.concat([playlists[name] for name in chosen])
        labels = pd.Series(np.repeat(chosen, [len(playlists[name]) for name in chosen]), index=mix.index)
        unique = ~mix.index.duplicated(keep=False)
        mixes.append(Mix(mix[unique], labels[unique]))
    return mixes


def _project(features: pd.DataFrame) -> pd.Series:
    """Cluster per placed track (0 = one cluster or not clustered), as the ``track_clusters`` asset computes it."""
    clustering = cluster_features(features)
    clusters = clustering.tracks["cluster"]
    return clusters[clusters >= 1] if clustering.k >= 2 else clusters.clip(upper=0)


def _kmeans(k: int, scaled: np.ndarray) -> np.ndarray:
    with threadpool_limits(limits=1):
        return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(scaled)


def _kmeans_best_silhouette(scaled: np.ndarray) -> np.ndarray:
    runs = [_kmeans(k, scaled) for k in BASELINE_KS if k <= len(scaled) // 4]
    return max(runs, key=lambda labels: silhouette_score(scaled, labels))


def evaluate(mixes: list[Mix]) -> dict[str, Figures]:
    """The figures of the project's clustering and of both baselines on ``mixes``."""
    figures = {name: Figures() for name in ("project (cluster_features)", "KMeans, true k", "KMeans, silhouette-best k")}
    for i, mix in enumerate(mixes):
        audio = mix.features[AUDIO].dropna()
        scaled_all = pd.DataFrame(StandardScaler().fit_transform(audio), index=audio.index)
        shuffled = mix.features.sample(frac=1, random_state=i)
        methods = {
            "project (cluster_features)": _project,
            "KMeans, true k": lambda f: _baseline(f, lambda x: _kmeans(mix.labels[f.index].nunique(), x)),
            "KMeans, silhouette-best k": lambda f: _baseline(f, _kmeans_best_silhouette),
        }
        for name, method in methods.items():
            started = time.perf_counter()
            clusters = method(mix.features)
            figures[name].seconds.append(time.perf_counter() - started)
            again = method(shuffled).reindex(clusters.index)
            _score(figures[name], clusters, again, mix.labels, scaled_all)
    return figures


def _baseline(features: pd.DataFrame, labels_of) -> pd.Series:
    audio = features[AUDIO].dropna()
    return pd.Series(labels_of(StandardScaler().fit_transform(audio)) + 1, index=audio.index)


def _score(figures: Figures, clusters: pd.Series, again: pd.Series, labels: pd.Series, scaled: pd.DataFrame) -> None:
    k = max(1, clusters[clusters >= 1].nunique())
    figures.ks.append(k)
    truth = labels.reindex(clusters.index)
    figures.nmi.append(normalized_mutual_info_score(truth, clusters))
    figures.ari.append(adjusted_rand_score(truth, clusters))
    figures.invariance.append(adjusted_rand_score(clusters, again) if k >= 2 else float(again.equals(clusters)))
    if k >= 2:
        placed = clusters.index.intersection(scaled.index)
        figures.silhouettes.append(silhouette_score(scaled.loc[placed], clusters[placed]))


def _floor_module(shared: Path):
    spec = importlib.util.spec_from_file_location("floor_sketch", shared / "bench" / "floor_sketch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def speed(shared: Path, mix: Mix, big: Mix, repeats: int) -> list[str]:
    """The project's clustering, alone and with the scatter PNG, against the floor sketch, interleaved; a
    10,000-track clustering."""
    floor = _floor_module(shared).floor
    audio = mix.features[AUDIO].dropna().to_numpy()
    runners = {
        "clustering + scatter PNG": lambda: render_scatter(cluster_features(mix.features), "Benchmark mix"),
        "clustering alone": lambda: cluster_features(mix.features),
        "floor sketch": lambda: floor(audio),
    }
    for runner in runners.values():  # warm-up: imports, font cache
        runner()
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, runner in runners.items():
            started = time.perf_counter()
            runner()
            times[name].append(time.perf_counter() - started)
    big_times = []
    for _ in range(max(1, repeats // 3)):
        started = time.perf_counter()
        cluster_features(big.features)
        big_times.append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor_median = medians.pop("floor sketch")
    return [
        f"## Speed ({repeats} interleaved runs each)",
        *(
            f"  {len(audio)}-track mix, {name}: median {median * 1000:.0f} ms;"
            f" floor sketch: median {floor_median * 1000:.0f} ms; ratio of medians {median / floor_median:.2f}"
            for name, median in medians.items()
        ),
        f"  {len(big.features):,}-track mix, clustering: median {statistics.median(big_times):.2f} s",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mixes", type=int, default=60, help="genre mixes (default 60)")
    parser.add_argument("--exportify-mixes", type=int, default=30, help="Exportify playlist mixes (default 30)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (default ../shared)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-repeats", type=int, default=7, help="interleaved runs of the speed check (0: skip)")
    parser.add_argument("--big", type=int, default=10_000, help="tracks of the big mix of the speed check")
    args = parser.parse_args()
    if not (args.shared / GENRE_FILE).is_file():
        print(f"The benchmark needs {args.shared / GENRE_FILE}, which is absent: is ../shared there?", file=sys.stderr)
        return 2
    started = time.perf_counter()
    mixes = genre_mixes(args.shared, args.mixes, args.seed)
    sizes = [len(mix.labels) for mix in mixes]
    print(f"## Genre mixes: {len(mixes)} mixes of 3-5 genres, {min(sizes)}-{max(sizes)} tracks (seed {args.seed})")
    for name, figures in evaluate(mixes).items():
        print("\n".join(figures.lines(name)))
    if (args.shared / EXPORTIFY).is_dir() and args.exportify_mixes:
        mixes = exportify_mixes(args.shared, args.exportify_mixes, args.seed)
        sizes = [len(mix.labels) for mix in mixes]
        print(f"## Exportify mixes: {len(mixes)} mixes of 3-5 real playlists, {min(sizes)}-{max(sizes)} tracks")
        for name, figures in evaluate(mixes).items():
            print("\n".join(figures.lines(name)))
    else:
        print(f"## Exportify mixes: skipped ({args.shared / EXPORTIFY} is absent)")
    if args.speed_repeats:
        table = pd.read_csv(args.shared / GENRE_FILE, index_col=0).drop_duplicates("track_id").set_index("track_id")
        small, big = (table.sample(n, random_state=args.seed) for n in (100, args.big))
        small, big = (Mix(_as_track_features(rows, "benchmark"), rows["track_genre"]) for rows in (small, big))
        print("\n".join(speed(args.shared, small, big, args.speed_repeats)))
    print(f"total time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
