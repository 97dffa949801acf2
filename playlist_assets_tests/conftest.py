"""Shared fixtures: an ephemeral Dagster instance and resources writing into a temporary folder."""

from __future__ import annotations

import dagster as dg
import pytest

from playlist_assets.features import DemoFeatures
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import DemoSource
from playlist_assets.storage import PartitionedPickleIOManager


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def resources(tmp_path):
    return {
        "source": DemoSource(),
        "features": DemoFeatures(),
        "output": OutputFolder(path=str(tmp_path / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
    }


@pytest.fixture(scope="session")
def demo_playlists():
    return {playlist.name: playlist for playlist in DemoSource().list_playlists()}
