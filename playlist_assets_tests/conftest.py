"""Shared fixtures: an ephemeral Dagster instance (on the project's SQLite storage, see dagster.yaml, or on
PostgreSQL too for the tests marked ``ON_BOTH_STORAGES``, see postgres.py) and resources writing into a temporary
folder."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from playlist_assets.features import DemoFeatures
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import add_playlist_partitions
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import DemoSource, PlaylistSource
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.postgres import PROJECT, fresh_database, postgres_storage

#: The storage block of the project's dagster.yaml (SQLite in DAGSTER_HOME, which ``instance_for_test`` sets).
SQLITE_STORAGE = {"storage": yaml.safe_load((PROJECT / "dagster.yaml").read_text())["storage"]}


@pytest.fixture
def storage(request, monkeypatch):
    """The instance's storage: SQLite (``{}``), or with the parameter "postgres" a fresh database on the test
    server, whose DAGSTER_PG_* variables it sets and yields."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield {}
        return
    with fresh_database() as variables:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        yield variables


@pytest.fixture
def instance(storage):
    with dg.instance_for_test(overrides=postgres_storage() if storage else SQLITE_STORAGE) as test_instance:
        yield test_instance


def demo_resources(root: Path, source: PlaylistSource | None = None) -> dict:
    """The graph's resources on the demo library (or ``source``), writing pages and pickles under ``root``."""
    return {
        "source": source or DemoSource(),
        "features": DemoFeatures(),
        "output": OutputFolder(path=str(root / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(root / "storage")),
    }


@pytest.fixture
def resources(tmp_path):
    return demo_resources(tmp_path)


@pytest.fixture(scope="session")
def demo_playlists():
    return {playlist.name: playlist for playlist in DemoSource().list_playlists()}


def add_partitions(instance: dg.DagsterInstance, names: dict[str, str]) -> list[str]:
    """The playlists ``names`` (id -> name) added as partitions, their ids recorded, as the sensor adds them; their keys."""
    return add_playlist_partitions(instance, [PlaylistInfo(id=i, name=name, snapshot_id="") for i, name in names.items()])


def apply_partition_requests(instance: dg.DagsterInstance, result: dg.SensorResult) -> dg.SensorResult:
    """Apply a sensor's partition requests to the instance, as the daemon would; the result."""
    for request in result.dynamic_partitions_requests:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions("playlists", list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition("playlists", key)
    return result
