"""Cluster a playlist's tracks by their numeric features (pure functions: no Dagster, no I/O)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from playlist_assets.analysis.describe import axis_label, profiles, separation
from playlist_assets.analysis.identity import followed, held_choice, renumbered, seeds
from playlist_assets.analysis.k_choice import KSearch, choose_k
from playlist_assets.analysis.naming import cluster_names
from playlist_assets.analysis.vocabulary import DESCRIBED_ONLY_COLUMNS, UNWORDED_COLUMNS, column_name
from playlist_assets.model import Axis, Clustering

#: Share of the variance the clustering space (PCA) keeps.
VARIANCE_KEPT = 0.9
#: Most clusters tried (fewer for small playlists: at most a quarter of the tracks).
MAX_K = 6
#: Proportion features (0..1) that most tracks have near 0 with a long tail: clustered by the cube root of
#: their value, with values under ``SKEW_FLOOR`` (no difference to a listener) counted as ``SKEW_FLOOR``.
SKEWED_COLUMNS = ("acousticness", "instrumentalness", "speechiness", "liveness")
SKEW_FLOOR = 0.01


def cluster_tracks(
    features: pd.DataFrame,
    *,
    min_tracks: int = 8,
    max_k: int = MAX_K,
    random_state: int = 0,
    previous: Clustering | None = None,
) -> Clustering:
    """Cluster tracks (index = unique track ids) by their numeric, finite feature columns.

    The varying columns but ``DESCRIBED_ONLY_COLUMNS`` are standardised (the skewed proportions by their cube
    root), reduced by PCA, and split by KMeans at the k whose silhouette stands out most from that of featureless
    random blobs of the same shape; k = 1 when none stands out (method and measurements: docs/clustering.md).
    Fewer than ``min_tracks`` tracks, or no varying column: not clustered (k = 0). Profiles and names come from
    every varying column but ``UNWORDED_COLUMNS``; x, y from a 2-D PCA of the clustered columns. The result is the
    same on every run and for any order of the rows.

    With ``previous`` (the playlist's previous result), its clusters carry on: the previous k is kept, KMeans
    started from where its clusters' tracks are now, unless another k is clearly better; each cluster that
    overlaps a previous one keeps its number and its name while it fits (see ``analysis.identity``); the
    result says what changed (``changes``) and which numbers vanished (``retired``).
    """
    result = _clustered(features, min_tracks, max_k, random_state, previous)
    return result if previous is None else followed(previous, result)


def _clustered(
    features: pd.DataFrame, min_tracks: int, max_k: int, random_state: int, previous: Clustering | None
) -> Clustering:
    """``cluster_tracks`` but for what changed since ``previous``."""
    if min_tracks < 2 or max_k < 2:
        raise ValueError(f"min_tracks and max_k must be at least 2, got {min_tracks} and {max_k}")
    data = _checked(features).sort_index()
    n = len(data)
    if n < min_tracks:
        tracks = "1 track" if n == 1 else f"{n} tracks"
        note = f"{tracks}: too few to cluster (at least {min_tracks} needed)"
        return _not_clustered(features.index, note)
    unskewed = _unskewed(data)
    varying = data.columns[(unskewed.max() > unskewed.min()).to_numpy()]
    columns = varying[~varying.isin(DESCRIBED_ONLY_COLUMNS)]
    if columns.empty:
        if not varying.empty:
            named = ", ".join(column_name(column) for column in varying)
            note = f"The tracks differ only in {named}, which describe clusters but do not form them"
            return _not_clustered(features.index, note)
        alike = "" if (data.max() == data.min()).all() else f" (values under {SKEW_FLOOR} count as {SKEW_FLOOR})"
        return _not_clustered(features.index, f"All tracks have identical features{alike}")

    scaled = StandardScaler().fit_transform(unskewed[columns])
    space = PCA(n_components=VARIANCE_KEPT, svd_solver="full").fit(scaled)
    points = space.transform(scaled)
    distinct = len(np.unique(scaled, axis=0))
    ks = range(2, min(max_k, max(2, n // 4), distinct) + 1)
    with threadpool_limits(limits=1):  # entering costs milliseconds: once per playlist
        search = KSearch(points, space.explained_variance_, ks, random_state)
        k, labels, scores, note = choice = choose_k(search)
        if previous is not None:
            starts = seeds(previous, data.index, search.centred)
            k, labels, scores, note = held_choice(search, choice, starts, previous.k)
    clusters = _numbered(labels) if previous is None else renumbered(labels, data.index, previous)
    numbers = np.unique(clusters)
    centres = np.array([points[clusters == c].mean(axis=0) for c in numbers])
    distance = np.linalg.norm(points - centres[np.searchsorted(numbers, clusters)], axis=1)
    rank = pd.Series(distance).groupby(clusters).rank(method="first").astype(int)
    previous_xy = previous.tracks[["x", "y"]].reindex(data.index).to_numpy(float) if previous is not None else None
    xy, axes = _projection(scaled, columns, previous_xy)
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
    worded = varying[~varying.isin(UNWORDED_COLUMNS)]
    values = data[worded if not worded.empty else columns]
    standardised = StandardScaler().fit_transform(values)
    return Clustering(
        tracks=tracks.reindex(features.index),
        k=k,
        score=scores[k] if k >= 2 else None,
        scores=scores,
        feature_columns=tuple(columns),
        axes=axes,
        centres=tracks.groupby("cluster")[["x", "y"]].mean(),
        profiles=profiles(values, standardised, clusters),
        note=note,
        separation=separation(scores[k] if k >= 2 else None),
        names=cluster_names(values, standardised, clusters, previous.names if previous else None),
    )


def _unskewed(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with the cube root of each of ``SKEWED_COLUMNS`` whose values all lie in 0..1 (floored, see above)."""
    skewed = [c for c in SKEWED_COLUMNS if c in data and data[c].between(0, 1).all()]
    return data.assign(**{c: np.cbrt(data[c].clip(lower=SKEW_FLOOR)) for c in skewed})


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


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Cluster numbers 1.. by decreasing size, ties by smallest track id (rows are sorted by id)."""
    sizes = np.bincount(labels)
    first_row = np.array([np.flatnonzero(labels == label)[0] for label in range(len(sizes))])
    order = np.lexsort((first_row, -sizes))
    numbers = np.empty(len(sizes), dtype=int)
    numbers[order] = np.arange(1, len(sizes) + 1)
    return numbers[labels]


def _projection(
    scaled: np.ndarray, columns: pd.Index, previous_xy: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[Axis, Axis]]:
    """2-D PCA coordinates and labelled axes (scikit-learn signs each component so that its
    largest loading is positive: the label starts with that feature's "high" word). With ``previous_xy``
    (the previous x, y of each track, NaN for a new one), an axis that would come out mirrored is turned back."""
    pca = PCA(n_components=min(2, scaled.shape[1]), svd_solver="full").fit(scaled)
    xy = pca.transform(scaled)
    components = pca.components_
    if previous_xy is not None:
        known = ~np.isnan(previous_xy).any(axis=1)
        signs = np.where((xy[known] * previous_xy[known, : xy.shape[1]]).sum(axis=0) < 0, -1.0, 1.0)
        xy, components = xy * signs, components * signs[:, None]
    axes = [
        Axis(axis_label(loadings, columns), float(ratio))
        for loadings, ratio in zip(components, pca.explained_variance_ratio_)
    ]
    if len(axes) == 1:
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
        axes.append(Axis("nothing else varies", 0.0))
    return xy, tuple(axes)
