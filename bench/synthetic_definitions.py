"""The project's code location on the synthetic library of bench/synthetic.py, for benchmarks that start Dagster's
own processes (webserver, daemon, the runs' processes): load it as the module ``bench.synthetic_definitions`` with
the repository as working directory.

Sized by BENCH_PLAYLISTS and BENCH_TRACKS (and BENCH_BIG, one big playlist, default none); the pages go to
PLAYLIST_ASSETS_OUTPUT. The same assets, checks, job, executor and IO manager as playlist_assets.definitions, and
the sensor that names the playlists on runs launched from the UI; not the discovery sensor, the schedule or the
index's automation, which would start runs of their own beside the one being measured.
"""

import os

import dagster as dg

from bench.synthetic import SyntheticFeatures, SyntheticSource
from playlist_assets.assets import ALL_ASSETS, ALL_CHECKS
from playlist_assets.definitions import EXECUTOR
from playlist_assets.instance_storage import batch_events
from playlist_assets.jobs import refresh_job
from playlist_assets.resources import OutputFolder
from playlist_assets.sensors import playlist_names_on_runs
from playlist_assets.storage import PartitionedPickleIOManager

SIZE = {
    "playlists": int(os.environ.get("BENCH_PLAYLISTS", "200")),
    "tracks": int(os.environ.get("BENCH_TRACKS", "100")),
    "big": int(os.environ.get("BENCH_BIG", "0")),
}


@dg.definitions
def defs() -> dg.Definitions:
    batch_events()  # as the project's code location does
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[refresh_job],
        sensors=[playlist_names_on_runs],
        resources={
            "source": SyntheticSource(**SIZE),
            "features": SyntheticFeatures(**SIZE),
            "output": OutputFolder(path=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output")),
            "io_manager": PartitionedPickleIOManager(),
        },
        executor=EXECUTOR,
    )
