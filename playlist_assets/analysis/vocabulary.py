"""Words and values for feature columns, used by axis labels, cluster profiles and reasons."""

from __future__ import annotations

import math

#: Feature column -> (word when high, word when low).
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "danceability": ("Danceable", "not Danceable"),
    "energy": ("Energetic", "Calm"),
    "valence": ("Cheerful", "Melancholic"),
    "acousticness": ("Acoustic", "not Acoustic"),
    "instrumentalness": ("Instrumental", "Vocal"),
    "speechiness": ("Wordy", "Sung"),
    "liveness": ("Live", "Studio"),
    "tempo": ("Fast", "Slow"),
    "loudness": ("Loud", "Quiet"),
    "release_year": ("Recent", "Older"),
    "duration_ms": ("Long", "Short"),
    "duration_min": ("Long", "Short"),
    "popularity": ("Popular", "Niche"),
    "explicit": ("Explicit", "Clean"),
    "mode": ("Major", "Minor"),
    "tempo_bpm": ("Fast", "Slow"),
    "loudness_lufs": ("Loud", "Quiet"),
    "dynamics_lu": ("Dynamic", "Steady"),
    "brightness_hz": ("Bright", "Dark"),
    "percussiveness": ("Percussive", "Smooth"),
    "beat_strength": ("Strong beat", "Loose beat"),
    "onset_rate": ("Busy", "Sparse"),
    "intensity": ("Intense", "Gentle"),
    "rhythm_evenness": ("Even rhythm", "Uneven rhythm"),
}

#: Columns that describe a track's release rather than its sound (see ``features.metadata``).
METADATA_COLUMNS = ("release_year", "duration_min", "explicit", "popularity")

#: Descriptors measured on a 30-second preview (``features.preview_analysis``): their own scales, never
#: clustered together with Spotify's audio features.
PREVIEW_COLUMNS = (
    "tempo_bpm", "beat_strength", "loudness_lufs", "dynamics_lu", "brightness_hz", "percussiveness", "onset_rate",
    "intensity", "chroma_flux", "rhythm_evenness",
)
#: Columns that describe clusters but are not clustered on: they group tracks by style less well than they
#: tell a listener about them (measured in ``docs/previews.md``).
DESCRIBED_ONLY_COLUMNS = ("tempo_bpm", "dynamics_lu", "intensity")
#: Columns clustered on but never put into words: a texture summary with no word a listener would use.
UNWORDED_COLUMNS = ("chroma_flux",)

#: Units written after a column's values.
UNITS = {
    "tempo": " BPM",
    "loudness": " dB",
    "tempo_bpm": " BPM",
    "loudness_lufs": " LUFS",
    "dynamics_lu": " LU",
    "brightness_hz": " Hz",
    "onset_rate": " a second",
    "intensity": " dB a second",
    "rhythm_evenness": " %",
}
#: Names of columns whose name is not their column name with spaces.
COLUMN_NAMES = {
    "tempo_bpm": "tempo",
    "loudness_lufs": "loudness",
    "dynamics_lu": "loudness range",
    "brightness_hz": "brightness",
    "beat_strength": "beat strength",
    "onset_rate": "onsets",
    "rhythm_evenness": "even intervals",
    "chroma_flux": "chroma flux (texture)",
}


def feature_word(column: str, high: bool) -> str:
    """The word for ``column`` being high (or low); unknown columns read "high key" / "low key"."""
    if column in FEATURE_WORDS:
        return FEATURE_WORDS[column][0 if high else 1]
    return f"{'high' if high else 'low'} {column_name(column)}"


def column_name(column: str) -> str:
    """``"release_year"`` -> ``"release year"``, ``"tempo_bpm"`` -> ``"tempo"``."""
    return COLUMN_NAMES.get(column, column.replace("_", " "))


def feature_value(column: str, value: float) -> str:
    """A value as a listener reads it, without unit: ``0.82``, ``128``, ``-5.2``, ``2019``, ``3:05``, ``40 %``."""
    if column == "duration_min":
        seconds = round(value * 60)
        return f"{seconds // 60}:{seconds % 60:02d}"
    if column == "explicit":
        return f"{round(value * 100)} %"
    if column == "rhythm_evenness":
        return f"{round(value * 100)}"
    if column in ("tempo", "tempo_bpm", "release_year", "popularity", "brightness_hz", "intensity"):
        return f"{value:.0f}"
    if column in ("loudness", "loudness_lufs", "dynamics_lu", "percussiveness", "onset_rate"):
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


def value_range(column: str, low: float, high: float) -> str:
    """A cluster's values of a metadata column in words: "released 2014–2017", "3:05–3:40 long", "mostly explicit"."""
    span = feature_value(column, low) if math.isclose(low, high) else f"{feature_value(column, low)}–{feature_value(column, high)}"
    if column == "release_year":
        return f"released {span}"
    if column == "duration_min":
        return f"{span} long"
    return f"{column_name(column)} {span}{UNITS.get(column, '')}"


def explicit_share(share: float) -> str:
    """"mostly explicit", "mostly clean" or "40 % explicit"."""
    if share >= 0.75:
        return "mostly explicit"
    if share <= 0.25:
        return "mostly clean"
    return f"{feature_value('explicit', share)} explicit"
