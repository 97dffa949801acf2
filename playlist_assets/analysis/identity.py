"""A cluster's identity across refreshes: the previous result's clusters carried into the new one (pure functions).

See ``docs/identity.md`` for why these rules and the figures of ``bench/stability.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from playlist_assets.analysis.changes import cluster_changes
from playlist_assets.analysis.k_choice import MIN_BLOB_RATIO, Choice, KSearch
from playlist_assets.model import Clustering

#: The previous k is kept, started from the previous clusters, while its split's ratio to the blob is at least
#: this share of the best k's (a fresh clustering takes the fewest clusters within 95 % of the best), and at
#: least this share of the ratios a fresh clustering needs to have clusters at all.
KEEP_SHARE = 0.85
#: A new cluster takes an old one's number only if at least this share of the tracks in either is in both.
MIN_OVERLAP = 0.25


def previous_clusters(previous: Clustering, index: pd.Index) -> pd.Series:
    """The previous cluster (>= 1) of each track of ``index`` that the previous result placed."""
    clusters = previous.tracks["cluster"] if previous.clustered else pd.Series(dtype=int)
    clusters = clusters[clusters >= 1]
    return clusters[clusters.index.isin(index)]


def seeds(previous: Clustering, index: pd.Index, points: np.ndarray) -> np.ndarray:
    """Where each previous cluster is now: the mean of ``points`` (one row per track of ``index``) over its
    tracks still there, in number order; a cluster none of whose tracks are left has no seed."""
    clusters = previous_clusters(previous, index)
    rows = index.get_indexer(clusters.index)
    return np.array([points[rows[clusters.to_numpy() == number]].mean(axis=0) for number in np.unique(clusters)])


def held_choice(search: KSearch, fresh: Choice, starts: np.ndarray, previous_k: int) -> Choice:
    """The previous k, its KMeans started from ``starts`` (the previous clusters, see ``seeds``), unless the
    evidence for another k is clearly stronger; otherwise ``fresh``."""
    if previous_k == 1:
        return _held_one(search, fresh)
    k = len(starts)
    if k < 2 or k not in search.ks:
        return fresh
    split = search.split_from(starts)
    ratio = search.ratio(k, split.silhouette) if search.eligible(k, split) else None
    if ratio is None or ratio < KEEP_SHARE * MIN_BLOB_RATIO:
        return fresh
    if fresh.k < 2 and not search.confirmed(k, split.silhouette, KEEP_SHARE):
        return fresh
    ratios = {other: search.ratio(other, score) for other, score in fresh.scores.items() if other != k}
    ratios = {other: value for other, value in ratios.items() if value is not None}
    best = max(ratios, key=ratios.get, default=k)
    if best != k and ratio < KEEP_SHARE * ratios[best]:
        return fresh
    note = (
        f"k={k} kept from the previous refresh: its silhouette ({split.silhouette:.2f}) is {ratio:.1f} times that "
        f"of a featureless random blob of the same shape ({search.blob[k].silhouette:.2f}); "
        + (
            "no other k does better"
            if best == k or ratio >= ratios[best]
            else f"within {KEEP_SHARE:.0%} of the best k ({best})"
        )
    )
    return Choice(k, split.labels, dict(sorted({**fresh.scores, k: split.silhouette}.items())), note)


def _held_one(search: KSearch, fresh: Choice) -> Choice:
    """One cluster, as before, unless the fresh choice's split beats the blobs by 1 / ``KEEP_SHARE`` times the
    ratios a fresh clustering needs to have clusters at all."""
    if fresh.k < 2:
        return fresh
    score = fresh.scores[fresh.k]
    ratio, needed = search.ratio(fresh.k, score), MIN_BLOB_RATIO / KEEP_SHARE
    if ratio >= needed and search.confirmed(fresh.k, score, 1 / KEEP_SHARE):
        return fresh
    note = (
        f"One cluster kept from the previous refresh: no split is clearly enough more separated than featureless "
        f"random blobs to change (k={fresh.k}: its silhouette ({score:.2f}) is {ratio:.1f} times a blob's of the same "
        f"shape; {needed:.2f} times needed, and {search.small_ratio / KEEP_SHARE:.2f} times that of blobs of as few "
        "points as the playlist)"
    )
    return Choice(1, np.zeros(search.n, dtype=int), fresh.scores, note)


def renumbered(labels: np.ndarray, index: pd.Index, previous: Clustering) -> np.ndarray:
    """Cluster numbers for ``labels`` (0.., one per track of the sorted ``index``): a cluster that overlaps a
    previous one (Hungarian matching of the shares of their tracks they have in common) keeps its number; the others
    get the smallest numbers no previous cluster had, nor any retired at the previous refresh, largest first."""
    if labels.max() == 0:
        return np.ones(len(labels), dtype=int)
    before = previous_clusters(previous, index)
    old_numbers = np.unique(before)
    old = pd.Series(np.searchsorted(old_numbers, before), index=before.index).reindex(index).to_numpy()
    k, has_old = labels.max() + 1, ~np.isnan(old)
    shared = np.zeros((k, len(old_numbers)))
    np.add.at(shared, (labels[has_old], old[has_old].astype(int)), 1)
    sizes, old_sizes = np.bincount(labels, minlength=k), np.bincount(old[has_old].astype(int), minlength=len(old_numbers))
    overlap = shared / np.maximum(np.add.outer(sizes, old_sizes) - shared, 1)
    numbers = np.zeros(k, dtype=int)
    for label, column in zip(*linear_sum_assignment(overlap, maximize=True)):
        if overlap[label, column] >= MIN_OVERLAP:
            numbers[label] = old_numbers[column]
    taken = {*_numbers(previous), *previous.retired}
    first_row = np.array([np.flatnonzero(labels == label)[0] for label in range(k)])
    for label in np.lexsort((first_row, -sizes)):
        if not numbers[label]:
            numbers[label] = next(n for n in range(1, k + len(taken) + 2) if n not in taken)
            taken.add(numbers[label])
    return numbers[labels]


def followed(previous: Clustering, current: Clustering) -> Clustering:
    """``current`` with the numbers of the previous clusters that vanished retired, and what changed.

    A refresh that changes nothing (the same tracks, each placed track in the same cluster) keeps the previous
    result's note, date, changes and retired numbers: the clusters are those made then, and so is the page.
    """
    changes = cluster_changes(previous, current)
    if changes.empty and set(previous.tracks.index) == set(current.tracks.index):
        return dataclasses.replace(
            current, note=previous.note, made_on=previous.made_on, changes=previous.changes, retired=previous.retired
        )
    retired = tuple(sorted(set(_numbers(previous)) - set(_numbers(current))))
    return dataclasses.replace(current, retired=retired, changes=changes)


def _numbers(clustering: Clustering) -> list[int]:
    clusters = clustering.tracks["cluster"]
    return [int(number) for number in np.unique(clusters[clusters >= 1])] if clustering.clustered else []
