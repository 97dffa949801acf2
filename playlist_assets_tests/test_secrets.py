"""No Spotify secret in anything a run writes, logs or raises: the whole graph on a fake account, then a search.

The client secret, the access tokens (before and after a refresh), the refresh token and the HTTP Basic credentials
(base64 of ``client_id:client_secret``) are searched for in every file under the test's folder (the Dagster
instance's run and event storage, compute logs, pickles, pages, images, caches), SQLite cells and zlib-compressed
blobs included, in every cell of the PostgreSQL tables when the instance is on PostgreSQL (where the database
password is searched for too), and in the captured log records and failed steps' errors. Only the token cache (and
the user file beside it) may hold a token.
"""

import base64
import json
import logging
import sqlite3
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.resources import OutputFolder
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.conftest import add_partitions
from playlist_assets_tests.postgres import ON_BOTH_STORAGES, postgres_storage, table_cells
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse
from playlist_assets_tests.test_hostile_input import StaticFeatures, three_groups

#: Python loggers whose records the instance stores in its event log (a user may set this in dagster.yaml).
STORED_LOGGERS = {"python_logs": {"managed_python_loggers": ["spotipy", "urllib3"], "python_log_level": "DEBUG"}}


def stored_bytes(path: Path) -> Iterator[bytes]:
    """The file's bytes; for an SQLite database also each cell, zlib-decompressed when it is compressed."""
    data = path.read_bytes()
    yield data
    if not data.startswith(b"SQLite format 3\x00"):
        return
    with sqlite3.connect(path) as database:
        tables = [name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in database.execute(f'SELECT * FROM "{table}"'):
                yield from map(cell_bytes, row)


def cell_bytes(cell: object) -> bytes:
    """A database cell as bytes, zlib-decompressed when it is compressed."""
    if isinstance(cell, (bytes, memoryview)):
        try:
            return zlib.decompress(cell)
        except zlib.error:
            return bytes(cell)
    return str(cell).encode("utf-8")


def add_playlist(account: FakeSpotifyAccount, name: str, features: dict) -> str:
    tracks = [track(f"{name}{n}", album_id=f"al-{name}{n}") for n in range(9)]
    features.update(three_groups([entry["id"] for entry in tracks]))
    return account.add_playlist(name, tracks)


@ON_BOTH_STORAGES
def test_no_secret_is_written_logged_or_raised_by_a_run(tmp_path, caplog, monkeypatch, storage):
    (tmp_path / "dagster_home").mkdir()
    settings = {**STORED_LOGGERS, **(postgres_storage() if storage else {})}
    with (
        FakeSpotifyAccount() as account,
        dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home"), overrides=settings) as instance,
    ):
        monkeypatch.setenv("SPOTIPY_CLIENT_SECRET", account.client_secret)
        source = account.source(tmp_path, client_secret=dg.EnvVar("SPOTIPY_CLIENT_SECRET"))  # as definitions.py does
        expired = json.loads(source.token_cache().read_text())
        source.token_cache().write_text(json.dumps({**expired, "expires_at": int(time.time()) - 60}))
        first_access_token = account.access_token
        features: dict = {}
        account.liked = [track("w0")]
        retried = add_playlist(account, "retried", features)
        account.fail(f"/v1/playlists/{retried}/items", StubResponse(status=429, headers={"Retry-After": "0"}))
        unlabelled = add_playlist(account, "unlabelled", features)
        account.refuse("/v1/albums")  # the label look-up is refused
        limited = add_playlist(account, "limited", features)
        account.fail(f"/v1/playlists/{limited}/items", StubResponse(status=429, headers={"Retry-After": "9999"}))
        resources = {
            "source": source,
            "features": StaticFeatures(table=json.dumps(features)),
            "output": OutputFolder(path=str(tmp_path / "output")),
            "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        }
        keys = add_partitions(instance, {retried: "retried", unlabelled: "unlabelled", limited: "limited"})

        with caplog.at_level(logging.DEBUG):
            runs = [dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)]
            for key in keys:
                runs.append(
                    dg.materialize(
                        ALL_ASSETS,
                        selection=PLAYLIST_ASSETS,
                        partition_key=key,
                        instance=instance,
                        resources=resources,
                        raise_on_error=False,
                    )
                )

    assert [run.success for run in runs] == [True, True, True, False]
    assert account.paths("/api/token") == ["/api/token"] and account.access_token != first_access_token
    assert account.paths(f"/v1/playlists/{retried}/items") == [f"/v1/playlists/{retried}/items"] * 2
    assert account.paths("/v1/albums")  # asked, and refused
    assert "GET /v1/playlists" in caplog.text  # HTTP libraries' records reach the captured log

    basic = base64.b64encode(f"{source.client_id}:{account.client_secret}".encode()).decode()
    secrets = [account.client_secret, first_access_token, account.access_token, account.refresh_token, basic]
    secrets += [storage["DAGSTER_PG_PASSWORD"]] if storage else []
    errors = [failure.step_failure_data.error.to_string() for run in runs for failure in run.get_step_failure_events()]
    assert "try again after" in "\n".join(errors)
    assert not [secret for secret in secrets if secret in "\n".join(errors) + caplog.text]

    token_files = {source.token_cache(), source.user_file()}
    written = {
        str(path.relative_to(tmp_path)): b"\n".join(stored_bytes(path))
        for path in tmp_path.rglob("*")
        if path.is_file() and path not in token_files
    }
    if storage:
        written["PostgreSQL tables"] = b"\n".join(map(cell_bytes, table_cells(storage)))
    event_logs = b"".join(data for name, data in written.items() if name.startswith(("dagster_home/", "PostgreSQL")))
    assert b"no album labels" in event_logs and b"try again after" in event_logs and b"GET /v1/albums" in event_logs
    assert any(name.endswith(".pkl") for name in written) and any(name.endswith(".png") for name in written)
    assert [(name, secret) for name, data in written.items() for secret in secrets if secret.encode() in data] == []
    assert source.token_cache().stat().st_mode & 0o777 == 0o600
