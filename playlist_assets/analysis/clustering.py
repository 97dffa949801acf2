"""Cluster a playlist's tracks by their numeric features (pure functions: no Dagster, no I/O)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, silhouette_samples
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from playlist_assets.analysis.vocabulary import feature_word
from playlist_assets.model import Axis, Clustering

#: Share of the variance the clustering space (PCA) keeps.
VARIANCE_KEPT = 0.9
#: Above this many tracks, KMeans is fitted and scored on a fixed random sample of this size.
SAMPLE_SIZE = 2000
#: A k is eligible only if its smallest cluster has at least this share of the tracks (and 2).
MIN_CLUSTER_SHARE = 0.03
#: A k is eligible only if each cluster's mean silhouette is at least this. Kaufman and Rousseeuw's
#: 0.25 ("no substantial structure" below) gave one cluster for 32 of 36 real Exportify playlists
#: of 30+ tracks; 0.15 splits genres that overlap, as real ones do, and still keeps one genre whole.
MIN_CLUSTER_SILHOUETTE = 0.15
#: For k >= 2, a silhouette must beat a random blob's at the same k by at least this much.
BLOB_MARGIN = 0.05
#: Features whose cluster mean is this many standard deviations off the playlist's make a profile.
PROFILE_MIN_Z = 0.3
#: Loadings at least this share of the strongest one name an axis.
AXIS_MIN_SHARE = 0.5
#: Most words in an axis label or a profile.
MOST_WORDS = 3


def cluster_tracks(
    features: pd.DataFrame, *, min_tracks: int = 8, max_k: int = 10, random_state: int = 0
) -> Clustering:
    """Cluster tracks (index = unique track ids) by their numeric, finite feature columns.

    Varying columns are standardised and reduced by PCA to 90% of their variance. KMeans
    runs for k = 2..min(max_k, n // 4). A k is eligible if each of its clusters has at least
    max(2, 3% of n) tracks and a mean silhouette of at least 0.15. The same search (without
    the size rule) runs on one random normal blob with the same n and PCA variances, and the
    eligible k whose silhouette beats the blob's at that k by the most wins, if by at least 0.05; otherwise
    k = 1 (no natural clusters). Measuring against the blob at the same k matters: the plain
    best silhouette picks k = 2 whenever one group lies far from all the others.
    Above 2,000 tracks, KMeans is fitted and scored on a fixed sample of 2,000 of them.
    Fewer than ``min_tracks`` tracks, or no varying column: not clustered (k = 0).

    ``scores`` holds the silhouette of every k whose clusters were all large enough;
    ``distance`` is to the cluster's centre in the PCA space above; x, y come from a
    separate 2-D PCA of the standardised columns.
    The result is the same on every run and for any order of the rows.
    """
    if min_tracks < 2 or max_k < 2:
        raise ValueError(f"min_tracks and max_k must be at least 2, got {min_tracks} and {max_k}")
    data = _checked(features).sort_index()
    n = len(data)
    if n < min_tracks:
        tracks = "1 track" if n == 1 else f"{n} tracks"
        note = f"{tracks}: too few to cluster (at least {min_tracks} needed)"
        return _not_clustered(features.index, note)
    columns = data.columns[(data.max() > data.min()).to_numpy()]
    if columns.empty:
        return _not_clustered(features.index, "All tracks have identical features")

    scaled = StandardScaler().fit_transform(data[columns])
    space = PCA(n_components=VARIANCE_KEPT, svd_solver="full").fit(scaled)
    points = space.transform(scaled)
    distinct = len(np.unique(scaled, axis=0))
    ks = range(2, min(max_k, max(2, n // 4), distinct) + 1)
    k, labels, scores, note = _choose_k(points, space.explained_variance_, ks, random_state)
    clusters = _numbered(labels)
    centres = np.array([points[clusters == c].mean(axis=0) for c in range(1, k + 1)])
    distance = np.linalg.norm(points - centres[clusters - 1], axis=1)
    rank = pd.Series(distance).groupby(clusters).rank(method="first").astype(int)
    xy, axes = _projection(scaled, columns)
    tracks = pd.DataFrame(
        {
            "cluster": clusters,
            "distance": distance,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "rank": rank.to_numpy(),
        },
        index=data.index,
    )
    return Clustering(
        tracks=tracks.reindex(features.index),
        k=k,
        score=scores[k] if k >= 2 else None,
        scores=scores,
        feature_columns=tuple(columns),
        axes=axes,
        centres=tracks.groupby("cluster")[["x", "y"]].mean(),
        profiles=_profiles(pd.DataFrame(scaled, columns=columns), clusters),
        note=note,
    )


def _checked(features: pd.DataFrame) -> pd.DataFrame:
    """``features`` as floats; ValueError for duplicate ids, non-numeric or non-finite values."""
    if not features.index.is_unique:
        duplicated = features.index[features.index.duplicated()].unique()
        raise ValueError(f"Duplicate track ids: {_few(duplicated)}")
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"Non-numeric feature columns: {_few(non_numeric)}")
    data = features.astype(float)
    bad = ~np.isfinite(data.to_numpy())
    if bad.any():
        raise ValueError(
            f"Missing or infinite feature values for tracks {_few(data.index[bad.any(axis=1)])} "
            f"in columns {_few(data.columns[bad.any(axis=0)])}"
        )
    return data


def _few(names, shown: int = 5) -> str:
    """Up to ``shown`` names, comma-separated, with a count of the rest."""
    names = [str(name) for name in names]
    rest = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + rest


def _not_clustered(index: pd.Index, note: str) -> Clustering:
    """Every track in cluster 0, no geometry, ranks 1..n by track id."""
    n = len(index)
    tracks = pd.DataFrame(
        {
            "cluster": np.zeros(n, dtype=int),
            "distance": np.full(n, np.nan),
            "x": np.full(n, np.nan),
            "y": np.full(n, np.nan),
            "rank": np.arange(1, n + 1),
        },
        index=index.sort_values(),
    )
    return Clustering(
        tracks=tracks.reindex(index),
        k=0,
        score=None,
        scores={},
        feature_columns=(),
        axes=None,
        centres=pd.DataFrame(
            {"x": [], "y": []}, index=pd.Index([], dtype=int, name="cluster"), dtype=float
        ),
        profiles={},
        note=note,
    )


class _Split(NamedTuple):
    """One KMeans run: its silhouette, the lowest mean silhouette of a cluster, the labels."""

    score: float
    weakest: float
    labels: np.ndarray


def _choose_k(
    points: np.ndarray, variances: np.ndarray, ks: range, random_state: int
) -> tuple[int, np.ndarray, dict[int, float], str]:
    """k, KMeans labels, silhouette per large-enough k, and a note saying why (see above)."""
    n = len(points)
    min_size = max(2, int(np.ceil(MIN_CLUSTER_SHARE * n)))
    splits = _splits(points, ks, min_size, random_state)
    blob = np.random.default_rng(random_state).standard_normal(points.shape) * np.sqrt(variances)
    blob_splits = _splits(blob, ks, 1, random_state)
    gains = {
        k: split.score - blob_splits[k].score
        for k, split in splits.items()
        if split.weakest >= MIN_CLUSTER_SILHOUETTE and k in blob_splits
    }
    scores = {k: split.score for k, split in splits.items()}
    best = max(gains, key=gains.get, default=None)
    tested = f"k={ks.start}..{ks.stop - 1}" if len(ks) > 1 else f"k={ks.start}"
    if best is not None and gains[best] >= BLOB_MARGIN:
        note = (
            f"k={best} chosen over {tested}: its silhouette ({scores[best]:.2f}) beats "
            f"one random blob's ({blob_splits[best].score:.2f}) by the most"
        )
        return best, splits[best].labels, scores, note
    if best is None:
        reason = (
            f"no split ({tested}) gives clusters that each have at least {min_size} tracks "
            f"and a mean silhouette of at least {MIN_CLUSTER_SILHOUETTE}"
        )
    else:
        reason = (
            f"no split ({tested}) has a silhouette clearly above one random blob's "
            f"(best: k={best}, {scores[best]:.2f} vs {blob_splits[best].score:.2f})"
        )
    note = f"No natural clusters: {reason}; shown as one cluster"
    return 1, np.zeros(n, dtype=int), scores, note


def _splits(points: np.ndarray, ks: range, min_size: int, random_state: int) -> dict[int, _Split]:
    """KMeans for each k in ``ks`` whose clusters all have at least ``min_size`` points.

    Above ``SAMPLE_SIZE`` points, KMeans is fitted and scored on a fixed random sample and
    the other points go to the nearest centre. One thread: KMeans adds up its threads'
    partial sums in whatever order they finish, which would change the last bits.
    """
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(len(points), min(len(points), SAMPLE_SIZE), replace=False))
    splits = {}
    with threadpool_limits(limits=1):
        distances = pairwise_distances(points[sample])
        for k in ks:
            kmeans = KMeans(n_clusters=k, n_init=10, random_state=random_state)
            labels = kmeans.fit(points[sample]).predict(points)
            if np.bincount(labels, minlength=k).min() >= min_size:
                widths = silhouette_samples(distances, labels[sample], metric="precomputed")
                weakest = pd.Series(widths).groupby(labels[sample]).mean().min()
                splits[k] = _Split(float(widths.mean()), float(weakest), labels)
    return splits


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 1.. by decreasing size, ties by smallest track id (rows are sorted by id)."""
    sizes = np.bincount(labels)
    first_row = np.array([np.flatnonzero(labels == label)[0] for label in range(len(sizes))])
    order = np.lexsort((first_row, -sizes))
    numbers = np.empty(len(sizes), dtype=int)
    numbers[order] = np.arange(1, len(sizes) + 1)
    return numbers[labels]


def _projection(scaled: np.ndarray, columns: pd.Index) -> tuple[np.ndarray, tuple[Axis, Axis]]:
    """2-D PCA coordinates and labelled axes (scikit-learn signs each component so that its
    largest loading is positive: the label starts with that feature's "high" word)."""
    pca = PCA(n_components=min(2, scaled.shape[1]), svd_solver="full").fit(scaled)
    xy = pca.transform(scaled)
    axes = [
        Axis(_axis_label(loadings, columns), float(ratio))
        for loadings, ratio in zip(pca.components_, pca.explained_variance_ratio_)
    ]
    if len(axes) == 1:
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
        axes.append(Axis("nothing else varies", 0.0))
    return xy, tuple(axes)


def _axis_label(loadings: np.ndarray, columns: pd.Index) -> str:
    """The features loading most on a component, worded by sign: "Energetic · not Acoustic"."""
    order = np.argsort(-np.abs(loadings), kind="stable")[:MOST_WORDS]
    threshold = AXIS_MIN_SHARE * abs(loadings[order[0]])
    return " · ".join(
        feature_word(columns[i], loadings[i] > 0) for i in order if abs(loadings[i]) >= threshold
    )


def _profiles(scaled: pd.DataFrame, clusters: np.ndarray) -> dict[int, str]:
    """Cluster -> the features whose mean sets it apart from the playlist's (standardised units)."""
    if clusters.max() == 1:
        return {1: "the whole playlist"}
    profiles = {}
    for cluster, z in scaled.groupby(clusters).mean().iterrows():
        strongest = z.abs().sort_values(ascending=False, kind="stable").iloc[:MOST_WORDS]
        words = [feature_word(c, z[c] > 0) for c in strongest.index if strongest[c] > PROFILE_MIN_Z]
        profiles[int(cluster)] = (
            f"{', '.join(words)} (vs. the playlist's average)"
            if words
            else "close to the playlist's average"
        )
    return profiles
