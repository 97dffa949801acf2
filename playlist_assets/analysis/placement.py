"""Which feature columns a playlist is clustered by, and why a track is not placed (pure functions).

Features come from several providers (``track_features.source``): measured audio features for some
tracks, only metadata (release year, duration, explicit, popularity) for others. Nothing is imputed:
a playlist is clustered by its audio columns when most of its tracks have them all, and the tracks
without them are not placed; otherwise by the metadata columns known for nearly every track.
"""

from __future__ import annotations

import pandas as pd

from playlist_assets.analysis.clustering import _not_clustered, cluster_tracks
from playlist_assets.model import Clustering

#: Columns that describe a track's release rather than its sound (see ``features.metadata``).
METADATA_COLUMNS = ("release_year", "duration_min", "explicit", "popularity")
#: Audio columns are used when at least this share of the tracks has every one of them.
MIN_AUDIO_COVERAGE = 2 / 3
#: Otherwise, a metadata column is used when it is known for at least this share of the tracks and varies.
MIN_METADATA_COVERAGE = 0.9
#: Values this large in magnitude are unknown: no feature has them, and scaling would overflow on them.
OUT_OF_RANGE = 1e12

NO_FEATURES = "no features from any provider"
NO_AUDIO = "no audio features from any provider"
INCOMPLETE_AUDIO = "incomplete audio features"
NOTHING_VARIES = "no audio features from any provider, and no metadata that varies between the tracks"


def choose_feature_columns(features: pd.DataFrame) -> tuple[str, ...]:
    """The columns to cluster ``features`` by (numeric columns plus ``source``; NaN = unknown); () if none fit."""
    numbers = _numbers(features)
    known = numbers.notna()
    audio = [c for c in numbers.columns if c not in METADATA_COLUMNS and known[c].mean() >= MIN_AUDIO_COVERAGE]
    if audio and known[audio].all(axis=1).mean() >= MIN_AUDIO_COVERAGE:
        return tuple(audio)
    return tuple(
        c
        for c in numbers.columns
        if c in METADATA_COLUMNS
        and known[c].mean() >= MIN_METADATA_COVERAGE
        and numbers[c].max() > numbers[c].min()
    )


def cluster_features(features: pd.DataFrame, *, min_tracks: int = 8) -> Clustering:
    """``cluster_tracks`` on the chosen columns of the tracks that have them all (``track_features`` as input)."""
    columns = list(choose_feature_columns(features))
    if not columns and len(features) >= min_tracks:
        return _not_clustered(features.index, NOTHING_VARIES)
    return cluster_tracks(_numbers(features)[columns].dropna(), min_tracks=min_tracks)


def not_placed_reasons(features: pd.DataFrame, track_ids: pd.Index) -> pd.Series:
    """Why each of ``track_ids`` is left out of the clustering of ``features``, indexed by track id."""
    numbers = _numbers(features).reindex(track_ids)
    columns = list(choose_feature_columns(features))
    audio = any(c not in METADATA_COLUMNS for c in columns)
    measured = [c for c in numbers.columns if c not in METADATA_COLUMNS]

    def reason(track_id: str) -> str:
        if track_id not in features.index:
            return NO_FEATURES
        if not columns:
            return NOTHING_VARIES
        row = numbers.loc[track_id]
        missing = [c for c in columns if pd.isna(row[c])]
        if not missing:
            return "left out of the clustering"
        if audio:
            return NO_AUDIO if row[measured].isna().all() else INCOMPLETE_AUDIO
        return "unknown " + ", ".join(c.replace("_", " ") for c in missing)

    return pd.Series([reason(track_id) for track_id in track_ids], index=track_ids, dtype="str")


def _numbers(features: pd.DataFrame) -> pd.DataFrame:
    """The numeric columns as floats; infinite and out-of-range values as NaN."""
    numbers = features.drop(columns="source", errors="ignore").astype(float)
    return numbers.where(numbers.abs() < OUT_OF_RANGE)
