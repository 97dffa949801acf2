"""How well clusters keep their identity when a playlist is edited: today's method against the one with a previous result.

    ./run.sh python bench/stability.py [--mixes 40] [--edits 3] [--shared ../shared] [--seed 0]

Mixes of 3 to 5 genres of ``benchmark_data/spotify_tracks_114_genres.csv`` (40 to 100 tracks of each, shaped like
``track_features``' output, as ``bench/clustering_quality.py`` builds them), each clustered once (the previous
result), then edited in three ways: 1 track out and 1 in, 5 out and 5 in (tracks of the mix's genres), and 40
tracks of a genre not in the mix added. Each edited playlist is clustered by today's method (a fresh
``cluster_features``) and by the new one (``cluster_features`` with the previous result), one after the other in
alternating order. Printed per kind of edit and method: share of the edits with k unchanged, ARI between the
clusters before and after on the tracks that stayed, share of those tracks keeping their cluster number, NMI
against the genres, how often the 40 new tracks got a cluster of their own (at least 70 % of them in one
cluster that is at least 70 % them) and with a new number, and the median time (with the previous result /
fresh, ratio of the sums). Then the targets of issue 20, met or not. Reads ``../shared`` in place; copies nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from playlist_assets.analysis import cluster_features
from playlist_assets.model import Clustering

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clustering_quality import DEFAULT_SHARED, GENRE_FILE, _as_track_features  # noqa: E402

EDITS = ("1 out + 1 in", "5 out + 5 in", "40 tracks of a new genre")
METHODS = ("today (fresh)", "with previous")
NEW_GENRE_TRACKS = 40
#: A cluster is the new genre's own when at least this share of the new tracks is in it, and of it is new tracks.
OWN_CLUSTER = 0.7


@dataclass
class Figures:
    """One method's results on one kind of edit."""

    same_k: list[bool] = field(default_factory=list)
    ari: list[float] = field(default_factory=list)
    kept: list[float] = field(default_factory=list)
    nmi: list[float] = field(default_factory=list)
    own: list[bool] = field(default_factory=list)
    new_number: list[bool] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


@dataclass
class Playlist:
    rows: pd.DataFrame  # the benchmark's rows, indexed by track id
    features: pd.DataFrame

    @classmethod
    def of(cls, rows: pd.DataFrame) -> Playlist:
        return cls(rows, _as_track_features(rows, "benchmark"))


def mixes(table: pd.DataFrame, count: int, rng: np.random.Generator) -> list[Playlist]:
    """``count`` mixes of 3-5 genres, 40-100 tracks of each (a track listed under two of them dropped)."""
    genres = sorted(table["track_genre"].unique())
    playlists = []
    for _ in range(count):
        chosen = rng.choice(genres, rng.integers(3, 6), replace=False)
        parts = [_some(table[table["track_genre"] == genre], rng.integers(40, 101), rng) for genre in chosen]
        mix = pd.concat(parts)
        playlists.append(Playlist.of(mix[~mix.index.duplicated(keep=False)]))
    return playlists


def _some(rows: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    return rows.iloc[np.sort(rng.choice(len(rows), min(n, len(rows)), replace=False))]


def edited(playlist: Playlist, edit: str, table: pd.DataFrame, rng: np.random.Generator) -> Playlist:
    """``playlist`` after one edit of the kind ``edit``."""
    rows = playlist.rows
    if edit == EDITS[2]:
        others = table[~table["track_genre"].isin(rows["track_genre"].unique()) & ~table.index.isin(rows.index)]
        genre = rng.choice(sorted(others["track_genre"].unique()))
        return Playlist.of(pd.concat([rows, _some(others[others["track_genre"] == genre], NEW_GENRE_TRACKS, rng)]))
    n = 1 if edit == EDITS[0] else 5
    candidates = table[table["track_genre"].isin(rows["track_genre"].unique()) & ~table.index.isin(rows.index)]
    kept = rows.drop(rows.index[rng.choice(len(rows), n, replace=False)])
    return Playlist.of(pd.concat([kept, _some(candidates, n, rng)]))


def _clusters(clustering: Clustering) -> pd.Series:
    clusters = clustering.tracks["cluster"]
    return clusters[clusters >= 1]


def score(figures: Figures, before: Clustering, after: Clustering, playlist: Playlist, new_tracks: pd.Index) -> None:
    """Add the figures of ``after``, the clustering of the edited ``playlist``, against ``before``."""
    old, new = _clusters(before), _clusters(after)
    stayed = old.index.intersection(new.index)
    figures.same_k.append(after.k == before.k)
    figures.ari.append(adjusted_rand_score(old[stayed], new[stayed]))
    figures.kept.append(float((old[stayed] == new[stayed]).mean()))
    figures.nmi.append(normalized_mutual_info_score(playlist.rows.loc[new.index, "track_genre"], new))
    if len(new_tracks):
        clusters = new.reindex(new_tracks).dropna()
        top = clusters.mode().min() if len(clusters) else None
        gathered = top is not None and (clusters == top).mean() >= OWN_CLUSTER
        own = gathered and new.index[new == top].isin(new_tracks).mean() >= OWN_CLUSTER
        figures.own.append(bool(own))
        figures.new_number.append(bool(own) and top not in set(old))


def run(playlists: list[Playlist], table: pd.DataFrame, edits: int, rng: np.random.Generator) -> dict[str, dict[str, Figures]]:
    figures = {edit: {method: Figures() for method in METHODS} for edit in EDITS}
    turn = 0
    for playlist in playlists:
        before = cluster_features(playlist.features)
        for edit in EDITS:
            for _ in range(edits if edit != EDITS[2] else 1):
                after = edited(playlist, edit, table, rng)
                new_tracks = after.rows.index.difference(playlist.rows.index) if edit == EDITS[2] else pd.Index([])
                runs = {
                    METHODS[0]: lambda: cluster_features(after.features),
                    METHODS[1]: lambda: cluster_features(after.features, before),
                }
                for method in METHODS if turn % 2 else reversed(METHODS):
                    started = time.perf_counter()
                    result = runs[method]()
                    figures[edit][method].seconds.append(time.perf_counter() - started)
                    score(figures[edit][method], before, result, after, new_tracks)
                turn += 1
    return figures


def report(figures: dict[str, dict[str, Figures]]) -> list[str]:
    header = f"{'k same':>8}{'ARI mean/min':>15}{'kept #':>9}{'NMI':>8}{'own cluster':>13}{'time':>9}"
    lines = [f"  {'edit':<26}{'method':<16}{header}"]
    for edit, by_method in figures.items():
        for method, f in by_method.items():
            own = f"{np.mean(f.own):.0%}/{np.mean(f.new_number):.0%}" if f.own else "-"
            lines.append(
                f"  {edit if method == METHODS[0] else '':<26}{method:<16}{np.mean(f.same_k):>8.1%}"
                f"{np.mean(f.ari):>9.3f}/{min(f.ari):.2f}{np.mean(f.kept):>9.1%}{np.mean(f.nmi):>8.3f}{own:>13}"
                f"{statistics.median(f.seconds) * 1000:>6.0f} ms"
            )
        fresh, held = by_method[METHODS[0]], by_method[METHODS[1]]
        lines.append(f"  {'':<26}time with previous / fresh (sums): {sum(held.seconds) / sum(fresh.seconds):.2f}")
    return lines


def targets(figures: dict[str, dict[str, Figures]]) -> list[str]:
    held = {edit: by_method[METHODS[1]] for edit, by_method in figures.items()}
    one, five = held[EDITS[0]], held[EDITS[1]]
    checks = {
        "1 out + 1 in: k unchanged >= 95 %": np.mean(one.same_k) >= 0.95,
        "1 out + 1 in: ARI >= 0.95": np.mean(one.ari) >= 0.95,
        "1 out + 1 in: kept numbers >= 95 %": np.mean(one.kept) >= 0.95,
        "5 out + 5 in: ARI >= 0.90": np.mean(five.ari) >= 0.90,
        "5 out + 5 in: kept numbers >= 90 %": np.mean(five.kept) >= 0.90,
        "NMI with previous at most 0.01 below fresh, every edit": all(
            np.mean(held[edit].nmi) >= np.mean(figures[edit][METHODS[0]].nmi) - 0.01 for edit in EDITS
        ),
        "time with previous <= 1.2 x fresh, every edit": all(
            sum(held[edit].seconds) <= 1.2 * sum(figures[edit][METHODS[0]].seconds) for edit in EDITS
        ),
    }
    return [f"  {'met' if met else 'NOT MET'}: {target}" for target, met in checks.items()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mixes", type=int, default=40, help="genre mixes (default 40)")
    parser.add_argument("--edits", type=int, default=3, help="edits of 1+1 and of 5+5 per mix (default 3)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (default ../shared)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (args.shared / GENRE_FILE).is_file():
        print(f"The benchmark needs {args.shared / GENRE_FILE}, which is absent: is ../shared there?", file=sys.stderr)
        return 2
    started = time.perf_counter()
    table = pd.read_csv(args.shared / GENRE_FILE, index_col=0)
    table = table[~table["track_id"].duplicated(keep=False)].set_index("track_id")
    rng = np.random.default_rng(args.seed)
    playlists = mixes(table, args.mixes, rng)
    sizes = [len(playlist.rows) for playlist in playlists]
    print(
        f"## Stability: {len(playlists)} mixes of 3-5 genres, {min(sizes)}-{max(sizes)} tracks (seed {args.seed}); "
        f"edits per mix: {args.edits} of 1+1, {args.edits} of 5+5, one of {NEW_GENRE_TRACKS} new-genre tracks"
    )
    figures = run(playlists, table, args.edits, rng)
    print("\n".join(report(figures)))
    print("## Targets (issue 20), for the method with a previous result")
    print("\n".join(targets(figures)))
    print(f"total time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
