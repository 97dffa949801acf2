"""Words for a clustering: what sets each cluster apart, with its values, and the scatter's axes (pure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playlist_assets.analysis.vocabulary import (
    METADATA_COLUMNS,
    UNITS,
    UNWORDED_COLUMNS,
    column_name,
    explicit_share,
    feature_value,
    feature_word,
    value_range,
)

#: Features whose cluster mean is this many standard deviations off the playlist's make a profile.
PROFILE_MIN_Z = 0.3
#: Loadings at least this share of the strongest one name an axis.
AXIS_MIN_SHARE = 0.5
#: Most words in an axis label or a profile.
MOST_WORDS = 3
#: Silhouettes from which clusters read as "well separated" and as "partly separated"; below: overlapping.
WELL_SEPARATED = 0.5
PARTLY_SEPARATED = 0.3


def separation(silhouette: float | None) -> str:
    """How separated the clusters are, in words ("" without clusters to separate)."""
    if silhouette is None:
        return ""
    if silhouette >= WELL_SEPARATED:
        return "well separated"
    return "partly separated" if silhouette >= PARTLY_SEPARATED else "overlapping tendencies"


def profiles(values: pd.DataFrame, scaled: np.ndarray, clusters: np.ndarray) -> dict[int, str]:
    """Cluster -> the features whose mean sets it apart from the playlist's, with both values.

    Sound: "Energetic (energy 0.82 vs 0.61), Danceable (danceability 0.74 vs 0.58)" (cluster's mean vs the
    playlist's). Release metadata: the cluster's values, "released 2014–2017", "3:05–3:40 long", "mostly explicit".
    """
    if clusters.max() == 1:
        return {1: "the whole playlist"}
    means = pd.DataFrame(scaled, columns=values.columns).groupby(clusters).mean()
    described = {}
    for cluster, z in means.iterrows():
        strongest = z.abs().sort_values(ascending=False, kind="stable").iloc[:MOST_WORDS]
        members = values[clusters == cluster]
        parts = [
            _difference(column, members[column], values[column], z[column] > 0)
            for column in strongest.index
            if strongest[column] > PROFILE_MIN_Z
        ]
        described[int(cluster)] = ", ".join(parts) if parts else "close to the playlist's average"
    return described


def _difference(column: str, members: pd.Series, playlist: pd.Series, high: bool) -> str:
    if column == "explicit":
        return explicit_share(members.mean())
    if column in METADATA_COLUMNS:
        return value_range(column, members.min(), members.max())
    ours, theirs = feature_value(column, members.mean()), feature_value(column, playlist.mean())
    return f"{feature_word(column, high)} ({column_name(column)} {ours} vs {theirs}{UNITS.get(column, '')})"


def axis_label(loadings: np.ndarray, columns: pd.Index) -> str:
    """The features loading most on a component, worded by sign: "Energetic · not Acoustic" (but unworded ones)."""
    worded = np.array([column not in UNWORDED_COLUMNS for column in columns])
    if not worded.any():
        return "sound texture"
    order = [i for i in np.argsort(-np.abs(loadings), kind="stable") if worded[i]][:MOST_WORDS]
    threshold = AXIS_MIN_SHARE * abs(loadings[order[0]])
    return " · ".join(
        feature_word(columns[i], loadings[i] > 0) for i in order if abs(loadings[i]) >= threshold
    )
