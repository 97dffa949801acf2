"""The interface every feature provider offers to the assets."""

from __future__ import annotations

import dagster as dg
import pandas as pd


class FeatureProvider(dg.ConfigurableResource):
    """Gives numeric features for a playlist's tracks."""

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        """Features of ``tracks`` (a track table: index ``track_id``, columns ``model.TRACK_COLUMNS``).

        Index ``track_id``, one numeric column per feature and a ``source`` column naming where each
        row came from. Tracks the provider knows nothing about are absent from the result.
        """
        raise NotImplementedError
