"""The tests' PostgreSQL: a fresh database per test on the server named by PLAYLIST_ASSETS_TEST_POSTGRES.

``.ci/run`` starts a throwaway server and sets the variable (a libpq connection string); locally,
``eval "$(.ci/postgres start /tmp/pg)"`` does the same. Without it the PostgreSQL variants are skipped,
except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml
from psycopg2.extensions import parse_dsn

PROJECT = Path(__file__).resolve().parents[1]
SERVER_VARIABLE = "PLAYLIST_ASSETS_TEST_POSTGRES"

#: The instance-level tests run on both storages: ``@ON_BOTH_STORAGES`` before a test that takes ``instance``
#: (or ``dagster_home``).
ON_BOTH_STORAGES = pytest.mark.parametrize("storage", ["sqlite", "postgres"], indirect=True)


def postgres_storage() -> dict:
    """The storage block the project ships for PostgreSQL (values from the DAGSTER_PG_* variables)."""
    return yaml.safe_load((PROJECT / "deploy" / "dagster.postgres.yaml").read_text())


def server() -> dict[str, str]:
    """The test server's connection parameters; skips (fails under CI) when there is none."""
    dsn = os.environ.get(SERVER_VARIABLE)
    if not dsn:
        message = f"no PostgreSQL for the tests: set {SERVER_VARIABLE} (.ci/run starts one, see .ci/postgres)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return parse_dsn(dsn)


def fresh_database() -> contextlib.AbstractContextManager[dict[str, str]]:
    """A new, empty database on the test server, dropped afterwards; yields the DAGSTER_PG_* variables for it."""
    return scratch_database(server())


@contextlib.contextmanager
def scratch_database(params: dict[str, str]) -> Iterator[dict[str, str]]:
    """A new, empty database on the server of the libpq ``params``, dropped afterwards; yields the DAGSTER_PG_*
    variables for it."""
    name = f"playlist_assets_{uuid.uuid4().hex[:12]}"
    with _admin(params) as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "DAGSTER_PG_HOST": params["host"],
            "DAGSTER_PG_PORT": params.get("port", "5432"),
            "DAGSTER_PG_USER": params["user"],
            "DAGSTER_PG_PASSWORD": params["password"],
            "DAGSTER_PG_DB": name,
        }
    finally:
        with _admin(params) as cursor:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def table_cells(variables: dict[str, str]) -> Iterator[object]:
    """Every cell of every table in the database the DAGSTER_PG_* ``variables`` name."""
    connection = psycopg2.connect(
        host=variables["DAGSTER_PG_HOST"],
        port=variables["DAGSTER_PG_PORT"],
        user=variables["DAGSTER_PG_USER"],
        password=variables["DAGSTER_PG_PASSWORD"],
        dbname=variables["DAGSTER_PG_DB"],
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            for (table,) in cursor.fetchall():
                cursor.execute(f'SELECT * FROM "{table}"')
                for row in cursor.fetchall():
                    yield from row
    finally:
        connection.close()


@contextlib.contextmanager
def _admin(params: dict[str, str]) -> Iterator[psycopg2.extensions.cursor]:
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()
