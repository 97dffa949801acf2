"""Synthetic audio features of the demo library's tracks."""

from __future__ import annotations

import pandas as pd

from playlist_assets.features.base import FeatureProvider
from playlist_assets.sources import web_api
from playlist_assets.sources.demo_library import DEMO_FEATURE_SOURCE, demo_library


class DemoFeatures(FeatureProvider):
    """Answers like Spotify's audio-features endpoint, with numbers drawn per genre."""

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        found = web_api.audio_features(demo_library().get_json, list(tracks.index))
        return found.assign(source=DEMO_FEATURE_SOURCE)
