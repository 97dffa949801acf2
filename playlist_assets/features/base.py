"""The interface every feature provider offers to the assets."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd


class FeatureProvider(dg.ConfigurableResource):
    """Gives numeric features for Spotify track ids."""

    def features(self, track_ids: Sequence[str]) -> pd.DataFrame:
        """Index ``track_id``, one numeric column per feature and a ``source`` column.

        Tracks the provider knows nothing about are absent from the result.
        """
        raise NotImplementedError
