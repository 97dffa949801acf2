"""Spotify's own audio features, for apps with extended quota (new development-mode apps get 403/404)."""

import dagster as dg
import pandas as pd

from playlist_assets.features.base import FeatureProvider
from playlist_assets.sources import web_api
from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.sources.spotify_client import SpotifyRefused

SPOTIFY_FEATURE_SOURCE = "spotify audio-features"

#: Key, in the source's "refusals" cache, recording that this app gets no audio features.
NO_AUDIO_FEATURES = "(no audio features for this app)"

#: How long a refusal is believed: an app granted extended quota is asked again after this.
REFUSAL_MAX_AGE_DAYS = 7.0

log = dg.get_dagster_logger(__name__)


class SpotifyAudioFeatures(FeatureProvider):
    """``/audio-features`` in batches of 100 through ``spotify``'s client. After one 403/404 it finds nothing,
    and the refusal is kept in the source's cache folder, so that later runs do not ask again."""

    spotify: SpotifySource

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        refusals = self.spotify.cache("refusals", REFUSAL_MAX_AGE_DAYS)
        if not refusals.get_many([NO_AUDIO_FEATURES]):
            try:
                found = web_api.audio_features(self.spotify.get_json, list(tracks.index), self.spotify.api_root)
                return found.assign(source=SPOTIFY_FEATURE_SOURCE)
            except SpotifyRefused as refusal:
                refusals.put_many({NO_AUDIO_FEATURES: True})
                log.warning("%s; not asking for Spotify audio features again for %g days", refusal, REFUSAL_MAX_AGE_DAYS)
        nothing = web_api.audio_features(self.spotify.get_json, [])  # no ids: no request, the empty frame
        return nothing.assign(source=SPOTIFY_FEATURE_SOURCE)
