"""Cluster a playlist's tracks by their numeric features (pure functions: no Dagster, no I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, silhouette_score
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
#: The best silhouette must beat the one of a single random blob by this much for k >= 2.
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
    runs for k = 2..min(max_k, n // 4); a k counts only if its smallest cluster has at least
    max(2, 3% of n) tracks, and the k with the best silhouette wins. It is kept only if its
    silhouette beats by ``BLOB_MARGIN`` the best silhouette of the same search on one random
    normal blob with the same n and PCA variances; otherwise k = 1 (no natural clusters).
    Fewer than ``min_tracks`` tracks, or no varying column: not clustered (k = 0).
    Above 2,000 tracks KMeans is fitted and scored on a fixed sample of 2,000.
    The result is the same on every run and for any order of the rows.
    """
    if min_tracks < 2 or max_k < 2:
        raise ValueError(f"min_tracks and max_k must be at least 2, got {min_tracks} and {max_k}")
    data = _checked(features).sort_index()
    n = len(data)
    if n < min_tracks:
        return _not_clustered(
            features.index, f"{_tracks(n)}: too few to cluster (at least {min_tracks} needed)"
        )
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
    xy, axes = _projection(scaled, columns)
    tracks = pd.DataFrame(
        {
            "cluster": clusters,
            "distance": distance,
            "x": xy[:, 0],
            "y": xy[:, 1],
            "rank": pd.Series(distance).groupby(clusters).rank(method="first").astype(int).to_numpy(),
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
    """``features`` as floats; ValueError for duplicate ids, non-numeric columns or non-finite values."""
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


def _tracks(n: int) -> str:
    return f"{n} track" if n == 1 else f"{n} tracks"


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


def _choose_k(
    points: np.ndarray, variances: np.ndarray, ks: range, random_state: int
) -> tuple[int, np.ndarray, dict[int, float], str]:
    """k, KMeans labels, silhouette per eligible k and a note saying why (see ``cluster_tracks``)."""
    n = len(points)
    min_size = max(2, int(np.ceil(MIN_CLUSTER_SHARE * n)))
    found = _search(points, ks, min_size, random_state)
    blob = np.random.default_rng(random_state).standard_normal(points.shape) * np.sqrt(variances)
    blob_best = max((score for score, _ in _search(blob, ks, min_size, random_state).values()), default=-1.0)
    scores = {k: score for k, (score, _) in found.items()}
    best = max(scores, key=scores.get, default=None)
    tested = f"k={ks.start}..{ks.stop - 1}" if len(ks) > 1 else f"k={ks.start}"
    one_cluster = np.zeros(n, dtype=int)
    if best is None:
        return 1, one_cluster, scores, (
            f"No natural clusters: no k in {tested} gives clusters of at least "
            f"{min_size} tracks; shown as one cluster"
        )
    if scores[best] < blob_best + BLOB_MARGIN:
        return 1, one_cluster, scores, (
            f"No natural clusters: best silhouette {scores[best]:.2f} (k={best}) is not clearly "
            f"better than for one random blob ({blob_best:.2f}); shown as one cluster"
        )
    return best, found[best][1], scores, (
        f"k={best} chosen by silhouette ({scores[best]:.2f}) over {tested}; "
        f"one random blob scores {blob_best:.2f}"
    )


def _search(points: np.ndarray, ks: range, min_size: int, random_state: int) -> dict:
    """k -> (silhouette, labels) of KMeans, for each k whose clusters all have ``min_size`` points.

    Above ``SAMPLE_SIZE`` points, KMeans is fitted and scored on a fixed random sample and
    the other points are assigned to the nearest centre. One OpenMP thread: KMeans sums
    its chunks in thread order, so more threads would change the last bits from run to run.
    """
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(len(points), min(len(points), SAMPLE_SIZE), replace=False))
    distances = pairwise_distances(points[sample])
    found = {}
    with threadpool_limits(limits=1, user_api="openmp"):
        for k in ks:
            kmeans = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(points[sample])
            labels = kmeans.predict(points)
            if np.bincount(labels, minlength=k).min() >= min_size:
                score = silhouette_score(distances, labels[sample], metric="precomputed")
                found[k] = (float(score), labels)
    return found


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 1.. by decreasing size, ties by smallest track id (rows are sorted by id)."""
    sizes = np.bincount(labels)
    first_row = np.array([np.flatnonzero(labels == label)[0] for label in range(len(sizes))])
    order = np.lexsort((first_row, -sizes))
    numbers = np.empty(len(sizes), dtype=int)
    numbers[order] = np.arange(1, len(sizes) + 1)
    return numbers[labels]


def _projection(scaled: np.ndarray, columns: pd.Index) -> tuple[np.ndarray, tuple[Axis, Axis]]:
    """2-D PCA coordinates and labelled axes, each axis signed so its strongest loading is positive."""
    pca = PCA(n_components=min(2, scaled.shape[1]), svd_solver="full").fit(scaled)
    strongest = np.abs(pca.components_).argmax(axis=1)
    signs = np.sign(pca.components_[np.arange(len(strongest)), strongest])
    xy = pca.transform(scaled) * signs
    axes = [
        Axis(_axis_label(loadings * sign, columns), float(ratio))
        for loadings, sign, ratio in zip(pca.components_, signs, pca.explained_variance_ratio_)
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
            f"{', '.join(words)} (compared with the whole playlist)"
            if words
            else "close to the playlist's average"
        )
    return profiles
