"""One 2-D projection of the placed tracks of every playlist (pure): one standardisation for the library."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sklearn.preprocessing import StandardScaler

from playlist_assets.analysis.clustering import _projection, _unskewed
from playlist_assets.analysis.placement import _numbers
from playlist_assets.model import Axis, Clustering

#: A feature column is projected on when at least this share of the library's placed tracks has a value for it.
MIN_LIBRARY_COVERAGE = 0.9


@dataclass(frozen=True)
class LibraryProjection:
    """Where each placed track of the library lies on one map."""

    #: Index track_id (each track once, in order of first appearance); columns: ``columns`` (their values), x, y.
    tracks: pd.DataFrame
    columns: tuple[str, ...]  # the feature columns the projection is fitted on
    axes: tuple[Axis, Axis] | None  # None when fewer than 2 tracks or no varying column
    left_out: int  # placed tracks without a value in every one of ``columns``: not on the map


def placed_clusters(clustering: Clustering) -> pd.Series:
    """The cluster of each track a clustering placed (on its scatter), indexed by track id."""
    clusters = clustering.tracks["cluster"]
    return clusters[clusters.to_numpy() >= 1]


def project_library(playlists: Iterable[tuple[pd.DataFrame, Clustering]]) -> LibraryProjection:
    """The placed tracks of every (features, clustering) pair on one 2-D PCA of their features.

    The columns are those the playlists were clustered by that at least 90 % of the placed tracks have; a track
    in several playlists counts once. Values are transformed as in ``cluster_tracks`` (cube root of the skewed
    proportions, at least 0.01), standardised over the whole library and projected as the scatters are.
    """
    placed, columns = [], {}
    for features, clustering in playlists:
        columns.update(dict.fromkeys(clustering.feature_columns))
        placed.append(features[features.index.isin(placed_clusters(clustering).index)])
    if not placed:
        return LibraryProjection(_no_tracks(), (), None, 0)
    library = pd.concat(placed)
    library = _numbers(library[~library.index.duplicated()].reindex(columns=list(columns)))
    kept = [column for column in columns if library[column].notna().mean() >= MIN_LIBRARY_COVERAGE]
    complete = library[kept].dropna()
    unskewed = _unskewed(complete)
    varying = unskewed.columns[(unskewed.max() > unskewed.min()).to_numpy()]
    if len(complete) < 2 or varying.empty:
        return LibraryProjection(_no_tracks(), tuple(kept), None, len(library))
    xy, axes = _projection(StandardScaler().fit_transform(unskewed[varying]), varying)
    tracks = complete[list(varying)].assign(x=xy[:, 0], y=xy[:, 1])
    return LibraryProjection(tracks, tuple(varying), axes, len(library) - len(complete))


def _no_tracks() -> pd.DataFrame:
    return pd.DataFrame({"x": [], "y": []}, index=pd.Index([], dtype=str, name="track_id"), dtype=float)
