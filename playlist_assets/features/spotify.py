"""Spotify's own audio features, for apps with extended quota (new development-mode apps get 403/404)."""

import dagster as dg
import pandas as pd

from playlist_assets.features.base import FeatureProvider
from playlist_assets.sources import web_api
from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.sources.spotify_client import SpotifyRefused, has_refused, note_refusal

SPOTIFY_FEATURE_SOURCE = "spotify audio-features"

log = dg.get_dagster_logger(__name__)


class SpotifyAudioFeatures(FeatureProvider):
    """``/audio-features`` in batches of 100 through ``spotify``'s client; after one 403/404 it finds nothing."""

    spotify: SpotifySource

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        endpoint = f"{self.spotify.api_root}/audio-features"
        if not has_refused(endpoint):
            try:
                found = web_api.audio_features(self.spotify.get_json, list(tracks.index), self.spotify.api_root)
                return found.assign(source=SPOTIFY_FEATURE_SOURCE)
            except SpotifyRefused as refusal:
                note_refusal(endpoint)
                log.warning("%s; not asking for Spotify audio features again in this process", refusal)
        nothing = web_api.audio_features(self.spotify.get_json, [])  # no ids: no request, the empty frame
        return nothing.assign(source=SPOTIFY_FEATURE_SOURCE)
