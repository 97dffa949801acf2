"""Clustering of a playlist's tracks and the words that describe it."""

from playlist_assets.analysis.changes import change_counts, cluster_changes, with_titles
from playlist_assets.analysis.clustering import cluster_tracks
from playlist_assets.analysis.placement import choose_feature_columns, cluster_features, not_placed_reasons
from playlist_assets.analysis.vocabulary import FEATURE_WORDS, feature_word

__all__ = [
    "FEATURE_WORDS",
    "change_counts",
    "cluster_changes",
    "choose_feature_columns",
    "cluster_features",
    "cluster_tracks",
    "feature_word",
    "not_placed_reasons",
    "with_titles",
]
