"""Words for feature columns, used by axis labels and cluster profiles."""

from __future__ import annotations

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
}


def feature_word(column: str, high: bool) -> str:
    """The word for ``column`` being high (or low); unknown columns read "high key" / "low key"."""
    if column in FEATURE_WORDS:
        return FEATURE_WORDS[column][0 if high else 1]
    return f"{'high' if high else 'low'} {column.replace('_', ' ')}"
