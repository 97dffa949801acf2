"""The chain's providers that call a service (ReccoBeats, Deezer), with their API roots from the environment."""

from __future__ import annotations

import os

import dagster as dg

from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.previews import PreviewFeatures
from playlist_assets.features.reccobeats import ReccoBeatsFeatures

#: Environment variables that move every call of a provider to another root (a proxy, a stub), by field.
RECCOBEATS_SETTINGS = {"base_url": "RECCOBEATS_API_ROOT"}  # default https://api.reccobeats.com/v1
PREVIEW_SETTINGS = {"api_root": "DEEZER_API_ROOT"}  # default https://api.deezer.com


def network_providers(*, reccobeats: bool = True, previews: bool = True) -> dict[str, FeatureProvider]:
    """``FeatureChain`` slots for the providers switched on; settings stay EnvVars (resolved when a run starts)."""
    providers: dict[str, FeatureProvider] = {}
    if reccobeats:
        providers["reccobeats"] = ReccoBeatsFeatures(**_from_environment(RECCOBEATS_SETTINGS))
    if previews:
        providers["previews"] = PreviewFeatures(**_from_environment(PREVIEW_SETTINGS))
    return providers


def _from_environment(settings: dict[str, str]) -> dict[str, dg.EnvVar]:
    return {field: dg.EnvVar(name) for field, name in settings.items() if os.environ.get(name)}
