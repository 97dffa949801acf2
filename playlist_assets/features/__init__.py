"""Numbers for tracks: a FeatureProvider resource per origin."""

from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.chain import FeatureChain
from playlist_assets.features.demo import DemoFeatures
from playlist_assets.features.export import ExportFeatures
from playlist_assets.features.metadata import MetadataFeatures
from playlist_assets.features.previews import PreviewFeatures
from playlist_assets.features.reccobeats import ReccoBeatsFeatures
from playlist_assets.features.spotify import SpotifyAudioFeatures

__all__ = [
    "DemoFeatures",
    "ExportFeatures",
    "FeatureChain",
    "FeatureProvider",
    "MetadataFeatures",
    "PreviewFeatures",
    "ReccoBeatsFeatures",
    "SpotifyAudioFeatures",
]
