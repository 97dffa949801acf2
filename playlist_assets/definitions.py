"""The code location: assets, job, sensor, schedule and resources.

The library comes from ``PLAYLIST_ASSETS_SOURCE``: ``demo`` (the default, bundled), ``spotify`` (your account,
credentials in ``SPOTIPY_CLIENT_ID``/``SPOTIPY_CLIENT_SECRET``/``SPOTIPY_REDIRECT_URI``, API roots in
``SPOTIFY_API_ROOT``/``SPOTIFY_ACCOUNTS_ROOT``), ``exportify`` or
``account-export`` (files under ``PLAYLIST_ASSETS_PATH``). ``PLAYLIST_ASSETS_RECCOBEATS=off`` and
``PLAYLIST_ASSETS_PREVIEWS=off`` keep track ids, ISRCs, artists and titles from ReccoBeats and Deezer
(API roots in ``RECCOBEATS_API_ROOT``/``DEEZER_API_ROOT``); ``PLAYLIST_ASSETS_OUTPUT`` names the folder for pages.
"""

from __future__ import annotations

import os

import dagster as dg

from playlist_assets.assets import ALL_ASSETS, ALL_CHECKS
from playlist_assets.features import DemoFeatures, ExportFeatures, FeatureChain, SpotifyAudioFeatures
from playlist_assets.features.network import network_providers
from playlist_assets.instance_storage import batch_events
from playlist_assets.jobs import refresh_job
from playlist_assets.resources import OutputFolder
from playlist_assets.schedules import refresh_schedule
from playlist_assets.sensors import index_automation_sensor, playlist_discovery_sensor, playlist_names_on_runs
from playlist_assets.sources import AccountExportSource, DemoSource, ExportifySource
from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.storage import PartitionedPickleIOManager

SOURCES = ("demo", "spotify", "exportify", "account-export")


#: Settings of the live source read from the environment when set (else the field's default).
SPOTIFY_SETTINGS = {
    "client_secret": "SPOTIPY_CLIENT_SECRET",  # optional: PKCE without it
    "redirect_uri": "SPOTIPY_REDIRECT_URI",
    "api_root": "SPOTIFY_API_ROOT",  # default https://api.spotify.com/v1 (a proxy, a fake account)
    "accounts_root": "SPOTIFY_ACCOUNTS_ROOT",  # default https://accounts.spotify.com
}


def spotify_source() -> SpotifySource:
    """The live source; settings stay EnvVars (resolved when a run starts), the secret never a config value."""
    settings = {field: dg.EnvVar(name) for field, name in SPOTIFY_SETTINGS.items() if os.environ.get(name)}
    return SpotifySource(client_id=dg.EnvVar("SPOTIPY_CLIENT_ID"), **settings)


def library_resources(
    kind: str, path: str, reccobeats: bool = True, previews: bool = True
) -> dict[str, dg.ConfigurableResource]:
    """The ``source`` and ``features`` resources of one kind of library (one of ``SOURCES``).

    ``reccobeats=False`` keeps track ids from being sent to ReccoBeats, ``previews=False`` ISRCs, artists
    and titles from Deezer (features then come from Spotify, the export file and metadata only).
    """
    if kind == "demo":
        return {"source": DemoSource(), "features": DemoFeatures()}
    network = network_providers(reccobeats=reccobeats, previews=previews)
    if kind == "spotify":
        spotify = spotify_source()
        chain = FeatureChain(spotify=SpotifyAudioFeatures(spotify=spotify), **network)
        return {"source": spotify, "features": chain}
    if kind not in SOURCES:
        raise ValueError(f"PLAYLIST_ASSETS_SOURCE={kind!r}: choose one of {', '.join(SOURCES)}")
    if not path:
        raise ValueError(f"PLAYLIST_ASSETS_SOURCE={kind} needs PLAYLIST_ASSETS_PATH, the folder of the export")
    if kind == "exportify":
        return {"source": ExportifySource(path=path), "features": FeatureChain(export=ExportFeatures(), **network)}
    return {"source": AccountExportSource(path=path), "features": FeatureChain(**network)}


#: Steps run one after another in the run's process: the default starts a process per step,
#: each importing this code location again (seconds), for a chain that cannot run in parallel anyway.
EXECUTOR = dg.in_process_executor


@dg.definitions
def defs() -> dg.Definitions:
    """The code location, on the library and output folder the environment names (read when it is loaded)."""
    batch_events()  # the runs of this code location hand batches of events to the storage (on PostgreSQL too)
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[refresh_job],
        sensors=[playlist_discovery_sensor, index_automation_sensor, playlist_names_on_runs],
        schedules=[refresh_schedule],
        resources={
            **library_resources(
                kind=os.environ.get("PLAYLIST_ASSETS_SOURCE", "demo"),
                path=os.environ.get("PLAYLIST_ASSETS_PATH", ""),
                reccobeats=os.environ.get("PLAYLIST_ASSETS_RECCOBEATS", "on") != "off",
                previews=os.environ.get("PLAYLIST_ASSETS_PREVIEWS", "on") != "off",
            ),
            "output": OutputFolder(path=os.environ.get("PLAYLIST_ASSETS_OUTPUT", "output")),
            "io_manager": PartitionedPickleIOManager(),
        },
        executor=EXECUTOR,
    )
