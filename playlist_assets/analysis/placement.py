"""Which feature columns a playlist is clustered by, and why a track is not placed (pure functions).

Features come from several providers (``track_features.source``): measured audio features for some
tracks, only metadata (release year, duration, explicit, popularity) for others. Nothing is imputed.
A value outside its column's documented range is unknown. A playlist is clustered by the audio
columns that nearly every track with audio features has, on the tracks that have them all, as soon as
``min_tracks`` tracks do; the other tracks are not placed. Otherwise it is clustered by the metadata
columns known for nearly every track whose spread matters to a listener.

Audio columns come on two scales that are never clustered together: Spotify's audio features (from Spotify,
an export file or ReccoBeats) and descriptors of 30-second previews (``PREVIEW_SCALE_COLUMNS``). A playlist is
clustered on Spotify's scale when at least ``MIN_SPOTIFY_SCALE_SHARE`` of its tracks have it, else on the
scale more of its tracks have (``audio_space``; the reasons and measurements are in ``docs/previews.md``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playlist_assets.analysis.clustering import _not_clustered, cluster_tracks
from playlist_assets.analysis.identity import followed
from playlist_assets.analysis.vocabulary import METADATA_COLUMNS, PREVIEW_COLUMNS, column_name
from playlist_assets.model import ASKED_OF_PROVIDERS, AUDIO_SPACE, PROVIDER_MISSES, Clustering

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
    "tempo_bpm": (0.0, 300.0, False),
    "beat_strength": (0.0, 1.0, True),
    "loudness_lufs": (-70.0, 5.0, True),
    "dynamics_lu": (0.0, 70.0, True),
    "brightness_hz": (0.0, 22_050.0, True),
    "percussiveness": (0.0, 100.0, True),
    "onset_rate": (0.0, 100.0, True),
    "intensity": (0.0, 10_000.0, True),
    "chroma_flux": (0.0, 2.0, True),
    "rhythm_evenness": (0.0, 1.0, True),
}
#: The two scales of audio columns, as the page names them.
SPOTIFY_SCALE = "Spotify's audio features"
PREVIEW_SCALE = "the sound of 30-second previews"
PREVIEW_SCALE_COLUMNS = PREVIEW_COLUMNS
#: Share of a playlist's tracks with Spotify-scale features from which it is clustered on that scale: at most one
#: track in ten is then left out for want of them (below it, previews are analysed for every track).
MIN_SPOTIFY_SCALE_SHARE = 0.9
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


def previews_wanted(spotify_scale: int, tracks: int) -> bool:
    """Whether a playlist of ``tracks`` tracks, ``spotify_scale`` of them with Spotify-scale features, may be
    clustered on preview descriptors (so that they are worth measuring for every track)."""
    return spotify_scale < MIN_SPOTIFY_SCALE_SHARE * tracks


def audio_space(spotify_scale: int, previews: int, tracks: int) -> str:
    """``SPOTIFY_SCALE`` or ``PREVIEW_SCALE``: Spotify's when it covers enough tracks or at least as many as previews."""
    if not previews_wanted(spotify_scale, tracks) or spotify_scale >= previews:
        return SPOTIFY_SCALE
    return PREVIEW_SCALE


def choose_feature_columns(features: pd.DataFrame, *, min_tracks: int = 8) -> tuple[str, ...]:
    """The columns to cluster ``features`` by (numeric columns plus ``source``; NaN = unknown); () if none fit."""
    numbers = _numbers(features)
    known = numbers.notna()
    measured = _audio_columns(known)
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
    measured = _audio_columns(numbers.notna())
    by_provider = features.attrs.get(PROVIDER_MISSES, {}).items()
    misses = {track_id: _missed(slot, reason) for slot, by_track in by_provider for track_id, reason in by_track.items()}
    rows = numbers.reindex(track_ids)
    unknown = rows[columns].isna().to_numpy()
    given = features.drop(columns="source", errors="ignore")[columns].astype(float).reindex(track_ids).notna().to_numpy()
    no_audio = rows[measured].isna().all(axis=1).to_numpy() if audio else np.zeros(len(track_ids), bool)

    def reason(track_id: str, has_features: bool, unknown: np.ndarray, given: np.ndarray, no_audio: bool) -> str:
        if not has_features:
            return NO_FEATURES
        if not columns:
            return NOTHING_VARIES
        if out := [c for c, out in zip(columns, unknown & given) if out]:
            return "; ".join(_out_of_range(c) for c in out)
        if missing := [c for c, missing in zip(columns, unknown) if missing]:
            if no_audio:
                return misses.get(track_id, NO_AUDIO)
            return ("no " if audio else "unknown ") + ", ".join(map(column_name, missing))
        return "left out of the clustering"

    reasons = map(reason, track_ids, track_ids.isin(features.index), unknown, given, no_audio)
    return pd.Series(list(reasons), index=track_ids, dtype="str")


def _missed(slot: str, reason: str) -> str:
    """Why a provider gave a track no features, as the page says it."""
    return f"no preview analysis: {reason}" if slot == "previews" else reason


def audio_coverage(features: pd.DataFrame) -> str:
    """What the page says of a chain's audio features: the scale clustered on, and per provider how many tracks
    it gave of those asked, with the reasons of the misses: "audio: the sound of 30-second previews (...);
    reccobeats 64 of 106, preview analysis 102 of 106 (not found on Deezer 3, timed out 1)"; "" without a chain."""
    asked = features.attrs.get(ASKED_OF_PROVIDERS, {})
    if not asked:
        return ""
    misses = features.attrs.get(PROVIDER_MISSES, {})
    parts = []
    for slot, (known, of) in asked.items():
        reasons = pd.Series(list(misses.get(slot, {}).values()), dtype="str").value_counts()
        why = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items(), key=lambda rn: (-rn[1], rn[0])))
        parts.append(f"{PROVIDER_NAMES.get(slot, slot)} {known} of {of}" + (f" ({why})" if why else ""))
    space = features.attrs.get(AUDIO_SPACE)
    if space == PREVIEW_SCALE:
        spotify = sum(known for slot, (known, _) in asked.items() if slot != "previews")
        under = f"under {MIN_SPOTIFY_SCALE_SHARE:.0%}"
        space = f"{space} (Spotify-scale features for {spotify} of {len(features)} tracks, {under})"
    return (f"audio: {space}; " if space else "") + ", ".join(parts)


#: How the page names the provider slots of a feature chain.
PROVIDER_NAMES = {"spotify": "spotify audio-features", "export": "export file", "previews": "preview analysis"}


def _audio_columns(known: pd.DataFrame) -> list[str]:
    """The audio columns of one scale: preview descriptors when more tracks have them than Spotify-scale columns
    (never both, whatever the table holds)."""
    measured = [c for c in known.columns if c not in METADATA_COLUMNS]
    preview = [c for c in measured if c in PREVIEW_SCALE_COLUMNS]
    spotify = [c for c in measured if c not in PREVIEW_SCALE_COLUMNS]
    spotify_scale = int(known[spotify].any(axis=1).sum()) if spotify else 0
    previews = int(known[preview].any(axis=1).sum()) if preview else 0
    return preview if audio_space(spotify_scale, previews, len(known)) == PREVIEW_SCALE else spotify


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
