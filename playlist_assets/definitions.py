"""The code location: assets, job, sensor, schedule and resources.

The source is the bundled demo library; ``PLAYLIST_ASSETS_OUTPUT`` names the folder for pages.
"""

from __future__ import annotations

import os

import dagster as dg

from playlist_assets.assets import ALL_ASSETS
from playlist_assets.features import DemoFeatures
from playlist_assets.jobs import refresh_job
from playlist_assets.resources import OutputFolder
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import playlist_discovery_sensor
from playlist_assets.sources import DemoSource
from playlist_assets.storage import PartitionedPickleIOManager

defs = dg.Definitions(
    assets=ALL_ASSETS,
    jobs=[refresh_job],
    sensors=[playlist_discovery_sensor],
    schedules=[refresh_schedule],
    resources={
        "source": DemoSource(),
        "features": DemoFeatures(),
        "output": OutputFolder(path=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output")),
        "io_manager": PartitionedPickleIOManager(),
    },
)
