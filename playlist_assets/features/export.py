"""The audio features already in an export file (Exportify's columns), kept in the track table by its source."""

from __future__ import annotations

import pandas as pd

from playlist_assets.features.base import FeatureProvider
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

EXPORT_SOURCE = "export file"


class ExportFeatures(FeatureProvider):
    """Reads ``AUDIO_FEATURE_COLUMNS`` from the track table (``ExportifySource`` adds them).

    A track has export features only if every column has a value; tables without the columns give none.
    """

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        columns = list(AUDIO_FEATURE_COLUMNS)
        if not set(columns) <= set(tracks.columns):
            return pd.DataFrame(index=tracks.index[:0], columns=columns, dtype=float).assign(source=EXPORT_SOURCE)
        return tracks[columns].astype(float).dropna().assign(source=EXPORT_SOURCE)
