"""Short names for clusters from what sets each apart, kept with the cluster while they still fit (pure)."""

from __future__ import annotations

from itertools import combinations, permutations

import numpy as np
import pandas as pd

from playlist_assets.analysis.vocabulary import feature_word

#: Feature column -> (word in a name when the cluster is high on it, when low).
NAME_WORDS: dict[str, tuple[str, str]] = {
    "danceability": ("Danceable", "Less danceable"),
    "energy": ("Energetic", "Calm"),
    "valence": ("Cheerful", "Melancholic"),
    "acousticness": ("Acoustic", "Electric"),
    "instrumentalness": ("Instrumental", "Vocal"),
    "speechiness": ("Wordy", "Sung"),
    "liveness": ("Live", "Studio"),
    "tempo": ("Fast", "Slow"),
    "loudness": ("Loud", "Quiet"),
    "duration_min": ("Long", "Short"),
    "popularity": ("Popular", "Niche"),
    "explicit": ("Explicit", "Clean"),
    "mode": ("Major key", "Minor key"),
}
#: A feature goes into a new name when the cluster's mean is this many standard deviations off the playlist's ...
NAME_MIN_Z = 0.3
#: ... and a name the cluster had before is kept while each of its features is still this far off, on the same side.
KEEP_MIN_Z = 0.2
#: Names are made of two of the cluster's strongest few features.
STRONGEST = 4
#: The name of the one cluster of a playlist without natural clusters, and of a cluster close to the average.
WHOLE_PLAYLIST = "Whole playlist"
AVERAGE = "Middle of the road"
#: The share of a cluster's release years its name's range spans (from the 10th to the 90th percentile).
YEAR_SPAN = (10, 90)


def cluster_names(
    values: pd.DataFrame, scaled: np.ndarray, clusters: np.ndarray, previous: dict[int, str] | None = None
) -> dict[int, str]:
    """Cluster -> a name unique within the playlist, from its strongest features ("Acoustic & calm"; by
    release year "2014–2017"); ``previous`` (cluster -> the name it had) is kept while it still fits.

    ``values``: the tracks' feature values; ``scaled``: the same standardised; ``clusters``: each track's number.
    """
    numbers = [int(number) for number in np.unique(clusters)]
    if len(numbers) == 1:
        return {numbers[0]: WHOLE_PLAYLIST}
    columns, raw = list(values.columns), values.to_numpy()
    parts = {}
    for number in numbers:
        members = clusters == number
        z = scaled[members].mean(axis=0)
        parts[number] = [
            (abs(z[i]), _word(columns[i], raw[members, i], z[i] > 0)) for i in np.argsort(-np.abs(z), kind="stable")
        ]
    names: dict[int, str] = {}
    for number in numbers:
        old = (previous or {}).get(number)
        if old and old not in names.values() and old in _fitting(parts[number]):
            names[number] = old
    for number in numbers:
        if number not in names:
            candidates = _candidates(parts[number])
            free = [name for name in candidates if name not in names.values()]
            names[number] = free[0] if free else f"{candidates[0]} ({number})"
    return dict(sorted(names.items()))


def _word(column: str, members: np.ndarray, high: bool) -> str:
    """The word for a cluster's ``members`` being high (or low) on ``column``; for release years, their range."""
    if column == "release_year":
        low, high_year = (int(round(year)) for year in np.percentile(members, YEAR_SPAN))
        return f"{low}–{high_year}" if high_year > low else str(low)
    return NAME_WORDS[column][0 if high else 1] if column in NAME_WORDS else feature_word(column, high)


def _joined(parts: tuple[str, ...]) -> str:
    first, *rest = parts
    return " & ".join([first[:1].upper() + first[1:], *(part[:1].lower() + part[1:] for part in rest)])


def _candidates(parts: list[tuple[float, str]]) -> list[str]:
    """New names for a cluster, best first: pairs of its strongest features, then each alone."""
    words = [word for z, word in parts if z >= NAME_MIN_Z][:STRONGEST]
    if not words:
        return [AVERAGE]
    return [_joined(pair) for pair in combinations(words, 2)] + [_joined((word,)) for word in words]


def _fitting(parts: list[tuple[float, str]]) -> set[str]:
    """Every name that still describes a cluster: its features at least ``KEEP_MIN_Z`` off, in pairs or alone."""
    words = [word for z, word in parts if z >= KEEP_MIN_Z]
    fitting = {_joined(pair) for pair in permutations(words, 2)} | {_joined((word,)) for word in words}
    return fitting if parts[0][0] >= NAME_MIN_Z else fitting | {AVERAGE}
