"""scikit-learn's ``KMeans`` and ``silhouette_score``, written out in numpy (pure functions).

On a hundred points, scikit-learn's own spend nearly all their time checking their arguments and limiting
threads, and the k search calls them about 80 times per playlist. These give the same clusters from the same
random numbers (the runs of one k side by side, as one array) and the same silhouette, at a fraction of the
cost; ``playlist_assets_tests/test_clustering.py`` checks them against scikit-learn's.
"""

from __future__ import annotations

import numpy as np

#: Most Lloyd iterations of one run, and the centre shift (times the mean variance) that ends it sooner:
#: scikit-learn's defaults.
MAX_ITERATIONS = 300
TOLERANCE = 1e-4


def kmeans(points: np.ndarray, k: int, n_init: int, random_state: int) -> np.ndarray:
    """The centres ``KMeans(k, n_init=n_init, random_state=random_state).fit(points)`` finds on centred
    ``points``, step for step: k-means++ starts from the same random numbers, then Lloyd's iterations until
    no point changes cluster or the centres move less than the tolerance, and the same choice among the runs.
    """
    trials = 2 + int(np.log(k))
    draws = np.random.RandomState(random_state).random_sample((n_init, 1 + (k - 1) * trials))
    centres = _kmeans_plusplus(points, (points**2).sum(axis=1), k, draws)
    centres, labels = _lloyd(points, centres)
    inertia = ((points - np.take_along_axis(centres, labels[..., None], axis=1)) ** 2).sum(axis=(1, 2))
    best = 0
    for run in range(1, n_init):  # as KMeans: a lower inertia wins unless it is the same clustering
        if inertia[run] < inertia[best] and not _same_partition(labels[run], labels[best]):
            best = run
    return centres[best]


def lloyd(points: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The centres Lloyd's iterations reach on centred ``points`` from the given ``starts`` (k, features)."""
    centres, _ = _lloyd(points, starts[None].copy())
    return centres[0]


def _lloyd(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's iterations of each run of ``centres`` (runs, k, features) until no point changes cluster or the
    centres move less than the tolerance: the centres and each point's cluster, per run."""
    k = centres.shape[1]
    tolerance = TOLERANCE * points.var(axis=0).mean()
    labels = np.full((len(centres), len(points)), -1)
    running, settled = np.ones(len(centres), dtype=bool), np.zeros(len(centres), dtype=bool)
    for _ in range(MAX_ITERATIONS):
        active = np.flatnonzero(running)
        assigned = nearest(points, centres[active])
        members = np.eye(k)[assigned]
        sizes = members.sum(axis=1)[..., None]
        moved = np.where(sizes > 0, (members.transpose(0, 2, 1) @ points) / np.maximum(sizes, 1), centres[active])
        shift = ((moved - centres[active]) ** 2).sum(axis=(1, 2))
        settled[active] = (assigned == labels[active]).all(axis=1)
        centres[active], labels[active] = moved, assigned
        running[active] = ~settled[active] & (shift > tolerance)
        if not running.any():
            break
    labels = np.where(settled[:, None], labels, nearest(points, centres))
    return centres, labels


def _same_partition(labels: np.ndarray, others: np.ndarray) -> bool:
    """Whether two labellings group the points alike (the cluster numbers may differ)."""
    pairs = len(np.unique(labels * (others.max() + 1) + others))
    return pairs == len(np.unique(labels)) == len(np.unique(others))


def _kmeans_plusplus(points: np.ndarray, norms: np.ndarray, k: int, draws: np.ndarray) -> np.ndarray:
    """k starting centres per row of ``draws`` (uniform random numbers, in scikit-learn's order): the first
    at random, each next the best of a few candidates drawn with probability proportional to their squared
    distance to the nearest centre so far."""
    n, runs = len(points), np.arange(len(draws))
    uniform = np.full(n, 1 / n).cumsum()
    chosen = [(uniform / uniform[-1]).searchsorted(draws[:, 0], side="right")]
    closest = _squared_distances(points, norms, points[chosen[0]][:, None])[..., 0]
    potential = closest.sum(axis=1)
    for targets in np.split(draws[:, 1:], k - 1, axis=1) if k > 1 else []:
        cumulative = np.cumsum(closest, axis=1)
        below = cumulative[:, None, :] < (targets * potential[:, None])[..., None]
        candidates = np.minimum(below.sum(axis=2), n - 1)
        options = np.minimum(closest[..., None], _squared_distances(points, norms, points[candidates]))
        totals = options.sum(axis=1)
        best = totals.argmin(axis=1)
        closest, potential = options[runs, :, best], totals[runs, best]
        chosen.append(candidates[runs, best])
    return points[np.stack(chosen, axis=1)]


def nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The nearest of ``centres`` (..., centres, features) to each point, by KMeans' own measure: the squared
    distance less the point's squared norm, which is the same for every centre."""
    return ((centres**2).sum(axis=-1)[..., None, :] - 2 * (points @ np.swapaxes(centres, -1, -2))).argmin(axis=-1)


def _squared_distances(points: np.ndarray, norms: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of each point (``norms``: their squared norms) to each centre: (..., points, centres)."""
    cross = points @ np.swapaxes(centres, -1, -2)
    return np.maximum(norms[:, None] - 2 * cross + (centres**2).sum(axis=-1)[..., None, :], 0)


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of ``labels`` given the points' pairwise ``distances`` (as scikit-learn's; 0 for one cluster)."""
    members = np.eye(labels.max() + 1)[labels]
    sizes = members.sum(axis=0)
    n = len(labels)
    if (sizes > 0).sum() < 2:
        return 0.0
    mean_distance = (distances @ members) / np.maximum(sizes - members, 1)
    own = mean_distance[np.arange(n), labels]
    mean_distance[np.arange(n), labels] = np.inf
    other = mean_distance[:, sizes > 0].min(axis=1)
    widest = np.maximum(own, other)
    values = np.divide(other - own, widest, out=np.zeros(n), where=(widest > 0) & (sizes[labels] > 1))
    return float(values.mean())
