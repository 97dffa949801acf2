"""How many clusters: KMeans for each k, measured against featureless random blobs (pure functions)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.metrics import pairwise_distances

from playlist_assets.analysis.kmeans import kmeans, lloyd, nearest, silhouette

#: Above this many tracks, KMeans is fitted and scored on a fixed random sample of this size.
SAMPLE_SIZE = 2000
#: KMeans starts per k (the best of them is kept): on the tracks, and on the blobs (whose splits are all alike).
N_INIT = 10
BLOB_N_INIT = 3
#: A k is eligible only if its smallest cluster has at least this share of the tracks, and this many.
MIN_CLUSTER_SHARE = 0.01
MIN_CLUSTER_SIZE = 3
#: The chosen k's silhouette must be at least this many times one random blob's at the same k.
MIN_BLOB_RATIO = 1.3
#: Points of the blob the ratios that choose k are taken against.
BLOB_SIZE = 500
#: Below ``BLOB_SIZE`` tracks, whether there are clusters at all is judged against this many blobs of the
#: playlist's own size, averaged: a few dozen points split by KMeans look more clustered than 500 do, and
#: their silhouettes vary more, so the ratio needed there is 1 + ``SMALL_BLOB_SPREAD`` / sqrt(n), between
#: ``MIN_BLOB_RATIO`` (from 100 tracks) and ``MAX_SMALL_BLOB_RATIO`` (up to 36).
SMALL_BLOBS = 3
SMALL_BLOB_SPREAD = 3.0
MAX_SMALL_BLOB_RATIO = 1.5
#: The fewest clusters whose ratio to the blob is at least this share of the best k's ratio win.
NEAR_BEST = 0.95


class Split(NamedTuple):
    labels: np.ndarray
    silhouette: float


class Choice(NamedTuple):
    """The chosen k, its KMeans labels, the silhouette of every eligible k, and a note saying why."""

    k: int
    labels: np.ndarray
    scores: dict[int, float]
    note: str


class KSearch:
    """KMeans splits of a playlist's points (its PCA space) for each of ``ks``, and the blobs they are measured by.

    Above ``SAMPLE_SIZE`` points, KMeans (scikit-learn's, written out: see ``analysis.kmeans``) is fitted and
    scored on a fixed random sample and the other points go to the nearest centre. Used under one thread
    (see ``cluster_tracks``) so that sums are added up in the same order on every run.
    """

    def __init__(self, points: np.ndarray, variances: np.ndarray, ks: range, random_state: int) -> None:
        self.ks, self.n, self._variances, self._random_state = ks, len(points), variances, random_state
        self.min_size = max(MIN_CLUSTER_SIZE, int(np.ceil(MIN_CLUSTER_SHARE * self.n)))
        self._sample, self.centred, self._distances = _prepared(points, random_state)
        fitted = self.centred[self._sample]
        self.splits = {k: self._split(kmeans(fitted, k, N_INIT, random_state)) for k in ks}
        self.blob = _splits(_blobs(variances, BLOB_SIZE, 1, random_state)[0], ks, random_state, BLOB_N_INIT)
        self.small_ratio = float(np.clip(1 + SMALL_BLOB_SPREAD / np.sqrt(self.n), MIN_BLOB_RATIO, MAX_SMALL_BLOB_RATIO))
        self._small_blobs: list[np.ndarray] | None = None
        self._small_means: dict[int, float] = {}

    def _split(self, centres: np.ndarray) -> Split:
        labels = nearest(self.centred, centres)
        return Split(labels, silhouette(self._distances, labels[self._sample]))

    def split_from(self, starts: np.ndarray) -> Split:
        """Lloyd's iterations from ``starts`` (k centres in the space of ``centred``), as a split."""
        return self._split(lloyd(self.centred[self._sample], starts))

    def eligible(self, k: int, split: Split) -> bool:
        """Whether each of the k clusters of ``split`` has at least ``min_size`` points."""
        return np.bincount(split.labels, minlength=k).min() >= self.min_size

    def ratio(self, k: int, score: float) -> float | None:
        """``score`` (a silhouette at k) divided by the 500-point blob's; None when the blob's is not positive."""
        return score / self.blob[k].silhouette if self.blob[k].silhouette > 0 else None

    def small_blob_score(self, k: int) -> float:
        """The mean silhouette at k of blobs of the playlist's own size (0 from ``BLOB_SIZE`` points)."""
        if k not in self._small_means:
            if self._small_blobs is None:
                size, count = self.n, SMALL_BLOBS if self.n < BLOB_SIZE else 0
                self._small_blobs = _blobs(self._variances, size, count, self._random_state)
            self._small_means[k] = _mean_score(self._small_blobs, k, self._random_state)
        return self._small_means[k]

    def confirmed(self, k: int, score: float, share: float = 1.0) -> bool:
        """Whether a silhouette ``score`` at k beats blobs of the playlist's own size by ``small_ratio`` (times ``share``)."""
        return score >= share * self.small_ratio * self.small_blob_score(k)


def choose_k(search: KSearch) -> Choice:
    """The k of ``search`` whose split is clearly more separated than the blobs' (see ``cluster_tracks``), else 1."""
    ks = search.ks
    scores = {k: search.splits[k].silhouette for k in ks if search.eligible(k, search.splits[k])}
    ratios = {k: ratio for k in scores if (ratio := search.ratio(k, scores[k])) is not None}
    best = max(ratios, key=ratios.get, default=None)
    tested = f"k={ks.start}..{ks.stop - 1}" if len(ks) > 1 else f"k={ks.start}"
    passing = sorted((k for k in ratios if ratios[k] >= MIN_BLOB_RATIO), key=ratios.get, reverse=True)
    confirmed = next((k for k in passing if search.confirmed(k, scores[k])), None)
    blob = search.blob
    if confirmed is not None:
        fewest = min(k for k, ratio in ratios.items() if ratio >= NEAR_BEST * ratios[best])
        note = (
            f"k={fewest} chosen over {tested}: its silhouette ({scores[fewest]:.2f}) is {ratios[fewest]:.1f} times "
            f"that of a featureless random blob of the same shape ({blob[fewest].silhouette:.2f}); "
            + (
                "no other k does better"
                if fewest == best
                else f"the fewest clusters within {NEAR_BEST:.0%} of the best k ({best})"
            )
        )
        return Choice(fewest, search.splits[fewest].labels, scores, note)
    if best is None:
        reason = f"no split ({tested}) gives clusters that each have at least {search.min_size} tracks"
    elif not passing:
        reason = (
            f"no split ({tested}) is clearly more separated than a featureless random blob's "
            f"(best: k={best}, silhouette {scores[best]:.2f} vs {blob[best].silhouette:.2f}; "
            f"{MIN_BLOB_RATIO} times needed)"
        )
    else:
        reason = (
            f"no split ({tested}) is clearly more separated than featureless random blobs of as few points as "
            f"the playlist ({search.n}), which a few points make look clustered (k={best}: silhouette "
            f"{scores[best]:.2f} vs {search.small_blob_score(best):.2f}; {search.small_ratio:.2f} times needed)"
        )
    note = f"No natural clusters: {reason}; shown as one cluster"
    return Choice(1, np.zeros(search.n, dtype=int), scores, note)


def _prepared(points: np.ndarray, random_state: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed sample's rows, the points centred on the sample's mean, and the sample's pairwise distances."""
    rng = np.random.default_rng(random_state)
    sample = np.sort(rng.choice(len(points), min(len(points), SAMPLE_SIZE), replace=False))
    centred = points - points[sample].mean(axis=0)
    return sample, centred, pairwise_distances(centred[sample])


def _splits(points: np.ndarray, ks: range, random_state: int, n_init: int) -> dict[int, Split]:
    """k -> KMeans labels and silhouette for each k in ``ks`` (a blob's)."""
    sample, centred, distances = _prepared(points, random_state)
    splits = {}
    for k in ks:
        labels = nearest(centred, kmeans(centred[sample], k, n_init, random_state))
        splits[k] = Split(labels, silhouette(distances, labels[sample]))
    return splits


def _blobs(variances: np.ndarray, size: int, count: int, random_state: int) -> list[np.ndarray]:
    """``count`` featureless random normal blobs of ``size`` points with the PCA variances ``variances``."""
    rng = np.random.default_rng(random_state)
    return [rng.standard_normal((size, len(variances))) * np.sqrt(variances) for _ in range(count)]


def _mean_score(blobs: list[np.ndarray], k: int, random_state: int) -> float:
    """The mean silhouette of KMeans with ``k`` clusters on ``blobs`` (0 for none)."""
    scores = [_splits(blob, range(k, k + 1), random_state, BLOB_N_INIT)[k].silhouette for blob in blobs]
    return float(np.mean(scores)) if scores else 0.0
