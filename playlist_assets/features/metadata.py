"""Numbers every source gives: release year, duration, explicit and, from exports, popularity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playlist_assets.features.base import FeatureProvider

METADATA_SOURCE = "metadata"


class MetadataFeatures(FeatureProvider):
    """Answers for every track; a value the source does not know (no release date, duration 0) is NaN."""

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        year = pd.to_numeric(tracks["release_date"].str[:4], errors="coerce")
        duration = tracks["duration_ms"].astype(float)
        found = pd.DataFrame(
            {
                "release_year": year.where(year > 0),
                "duration_min": (duration / 60_000).where(duration > 0),
                "explicit": tracks["explicit"].astype(float),
            },
            index=tracks.index,
        )
        if "popularity" in tracks.columns:
            found["popularity"] = tracks["popularity"].astype(float)
        return found.replace([np.inf, -np.inf], np.nan).assign(source=METADATA_SOURCE)
