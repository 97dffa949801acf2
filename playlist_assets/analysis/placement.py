"""Which feature columns a playlist is clustered by, and why a track is not placed (pure functions).

Features come from several providers (``track_features.source``): measured audio features for some
tracks, only metadata (release year, duration, explicit, popularity) for others. Nothing is imputed.
A value outside its column's documented range is unknown. A playlist is clustered by the audio
columns that nearly every track with audio features has, on the tracks that have them all, as soon as
``min_tracks`` tracks do; the other tracks are not placed. Otherwise it is clustered by the metadata
columns known for nearly every track whose spread matters to a listener.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playlist_assets.analysis.clustering import _not_clustered, cluster_tracks
from playlist_assets.analysis.identity import followed
from playlist_assets.analysis.vocabulary import METADATA_COLUMNS, column_name
from playlist_assets.model import Clustering

#: Documented range of each audio column (Spotify's audio features): (lowest, highest, lowest included).
AUDIO_RANGES = {
    **{
        column: (0.0, 1.0, True)
        for column in (
            "danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness"
        )
    },
    "tempo": (0.0, 300.0, False),
    "loudness": (-60.0, 5.0, True),
}
#: Of the tracks with any audio feature, an audio column is used when at least this share has it.
MIN_AUDIO_COLUMN_COVERAGE = 0.9
#: Otherwise, a metadata column is used when it is known for at least this share of the tracks ...
MIN_METADATA_COVERAGE = 0.9
#: ... and its standard deviation is at least this: 2 years, 30 seconds, 10 popularity points; for
#: explicit (0 or 1), 0.3 = at least one track in ten on the rarer side. Less is no difference to a listener.
MIN_METADATA_SPREAD = {"release_year": 2.0, "duration_min": 0.5, "explicit": 0.3, "popularity": 10.0}
#: Values this large in magnitude are unknown: no feature has them, and scaling would overflow on them.
OUT_OF_RANGE = 1e12

NO_FEATURES = "no features from any provider"
NO_AUDIO = "no audio features from any provider"
NOTHING_VARIES = (
    "no audio features from any provider, and no release year, duration or explicit flag known for nearly "
    "every track varies enough to group them (at least 2 years, 30 seconds or one track in ten explicit)"
)


def choose_feature_columns(features: pd.DataFrame, *, min_tracks: int = 8) -> tuple[str, ...]:
    """The columns to cluster ``features`` by (numeric columns plus ``source``; NaN = unknown); () if none fit."""
    numbers = _numbers(features)
    known = numbers.notna()
    measured = [c for c in numbers.columns if c not in METADATA_COLUMNS]
    with_audio = known[measured].any(axis=1)
    audio = [c for c in measured if known.loc[with_audio, c].mean() >= MIN_AUDIO_COLUMN_COVERAGE]
    if audio and known[audio].all(axis=1).sum() >= min_tracks:
        return tuple(audio)
    return tuple(
        c
        for c in numbers.columns
        if c in METADATA_COLUMNS
        and known[c].mean() >= MIN_METADATA_COVERAGE
        and numbers[c].std(ddof=0) >= MIN_METADATA_SPREAD.get(c, 0)
    )


def cluster_features(features: pd.DataFrame, previous: Clustering | None = None, *, min_tracks: int = 8) -> Clustering:
    """``cluster_tracks`` on the chosen columns of the tracks that have them all (``track_features`` as input),
    carrying on the clusters of ``previous``, the playlist's previous result, when given."""
    columns = list(choose_feature_columns(features, min_tracks=min_tracks))
    if not columns and len(features) >= min_tracks:
        result = _not_clustered(features.index, NOTHING_VARIES)
        return result if previous is None else followed(previous, result)
    return cluster_tracks(_numbers(features)[columns].dropna(), min_tracks=min_tracks, previous=previous)


def not_placed_reasons(
    features: pd.DataFrame, track_ids: pd.Index, columns: tuple[str, ...] | None = None, *, min_tracks: int = 8
) -> pd.Series:
    """Why each of ``track_ids`` is left out of the clustering of ``features`` by ``columns`` (default: the
    columns ``cluster_features`` chooses), indexed by track id."""
    if columns is None:
        columns = choose_feature_columns(features, min_tracks=min_tracks)
    numbers = _numbers(features)
    columns = [c for c in columns if c in numbers.columns]
    audio = any(c not in METADATA_COLUMNS for c in columns)
    measured = [c for c in numbers.columns if c not in METADATA_COLUMNS]
    rows = numbers.reindex(track_ids)
    unknown = rows[columns].isna().to_numpy()
    given = features.drop(columns="source", errors="ignore")[columns].astype(float).reindex(track_ids).notna().to_numpy()
    no_audio = rows[measured].isna().all(axis=1).to_numpy() if audio else np.zeros(len(track_ids), bool)

    def reason(has_features: bool, unknown: np.ndarray, given: np.ndarray, no_audio: bool) -> str:
        if not has_features:
            return NO_FEATURES
        if not columns:
            return NOTHING_VARIES
        if out := [c for c, out in zip(columns, unknown & given) if out]:
            return "; ".join(_out_of_range(c) for c in out)
        if missing := [c for c, missing in zip(columns, unknown) if missing]:
            if no_audio:
                return NO_AUDIO
            return ("no " if audio else "unknown ") + ", ".join(map(column_name, missing))
        return "left out of the clustering"

    reasons = map(reason, track_ids.isin(features.index), unknown, given, no_audio)
    return pd.Series(list(reasons), index=track_ids, dtype="str")


def _out_of_range(column: str) -> str:
    if column not in AUDIO_RANGES:
        return f"{column_name(column)} out of range"
    low, high, low_included = AUDIO_RANGES[column]
    bounds = f"{low:g}–{high:g}" if low_included else f"above {low:g}, at most {high:g}"
    return f"{column_name(column)} out of its range ({bounds})"


def _numbers(features: pd.DataFrame) -> pd.DataFrame:
    """The numeric columns as floats; infinite values and values outside their column's range as NaN."""
    numbers = features.drop(columns="source", errors="ignore").astype(float)
    values = numbers.to_numpy()
    valid = np.abs(values) < OUT_OF_RANGE
    for position, column in enumerate(numbers.columns):
        if column in AUDIO_RANGES:
            low, high, low_included = AUDIO_RANGES[column]
            above_low = values[:, position] >= low if low_included else values[:, position] > low
            valid[:, position] &= above_low & (values[:, position] <= high)
    return numbers.where(valid)
