"""Clustering of a playlist's tracks and the words that describe it."""

from playlist_assets.analysis.clustering import cluster_tracks
from playlist_assets.analysis.vocabulary import FEATURE_WORDS, feature_word

__all__ = ["FEATURE_WORDS", "cluster_tracks", "feature_word"]
