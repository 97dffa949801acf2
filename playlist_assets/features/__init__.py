"""Numbers for tracks: a FeatureProvider resource per origin."""

from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.demo import DemoFeatures

__all__ = ["DemoFeatures", "FeatureProvider"]
