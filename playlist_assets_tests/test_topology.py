"""The production topology on this machine: a gRPC code server, a webserver and a daemon, each a process of its
own on a PostgreSQL instance, started with the commands of deploy/ (the image's and the compose file's); a
backfill of every playlist launched through the webserver's GraphQL API, as the UI launches it."""

import json
import os
import re
import subprocess

import dagster as dg
import pytest
import yaml

from playlist_assets.assets import ALL_ASSETS
from playlist_assets.partitions import record_playlist_ids
from playlist_assets.render import page_path, playlist_slug
from playlist_assets_tests.postgres import fresh_database
from playlist_assets_tests.servers import BACKFILL, LOCATION, PROJECT, Processes, free_port, graphql

DEPLOY = PROJECT / "deploy"
PER_RUN = 4
POOLED_STEPS = {"liked_tracks", "raw_tracks", "track_features"}  # the steps in the spotify_api pool

BACKFILL_STATUS = "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"
ADD_PARTITION = """
mutation($key: String!) {
  addDynamicPartition(partitionsDefName: "playlists", partitionKey: $key,
                      repositorySelector: {repositoryLocationName: "playlist_assets", repositoryName: "__repository__"}) {
    __typename
  }
}"""


def image_command() -> list[str]:
    """The code server's command: the image's CMD."""
    [cmd] = [line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(cmd.removeprefix("CMD "))


def compose_command(service: str) -> list[str]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"][service]["command"]


def on_port(command: list[str], port: int) -> list[str]:
    """``command`` listening on 127.0.0.1:``port`` instead of the container's 0.0.0.0 and port."""
    changed = list(command)
    changed[changed.index("-h") + 1] = "127.0.0.1"
    changed[changed.index("-p") + 1] = str(port)
    return changed


def keys_of_run(run: dg.DagsterRun, order: list[str]) -> list[str]:
    """The partitions a run covers: its range of ``order``, its one partition, or none."""
    start = run.tags.get("dagster/asset_partition_range_start", run.tags.get("dagster/partition"))
    end = run.tags.get("dagster/asset_partition_range_end", start)
    return order[order.index(start) : order.index(end) + 1] if start else []


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals that are open at one time."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


@pytest.mark.slow
def test_a_backfill_launched_through_the_webserver_runs_on_the_code_server_daemon_and_postgres(tmp_path, monkeypatch, demo_playlists):
    output, home = tmp_path / "output", tmp_path / "home"
    code_port, web_port = free_port(), free_port()
    with fresh_database() as database:
        for name, value in database.items():
            monkeypatch.setenv(name, value)
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),  # ./run.sh writes dagster.yaml there, with PostgreSQL storage
            "PLAYLIST_ASSETS_OUTPUT": str(output),
            "PLAYLIST_ASSETS_PARTITIONS_PER_RUN": str(PER_RUN),
            "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
            "DAGSTER_CODE_SERVER_PORT": str(code_port),
        }
        processes = Processes(env, tmp_path)
        try:
            processes.start("code_server", ["./run.sh", *on_port(image_command(), code_port)])
            # The sensors and the schedule would start runs of their own: stopped first, as an operator may.
            # (Through the same workspace file as the daemon: the stopped state is kept by code location name.)
            stop = ["./run.sh", "dagster", "sensor", "stop", "playlist_discovery_sensor", "-w", "deploy/workspace.grpc.yaml"]
            processes.wait_for("the code server", timeout=300,
                               condition=lambda: subprocess.run(stop, cwd=PROJECT, env=env, capture_output=True).returncode == 0)
            schedule = ["./run.sh", "dagster", "schedule", "stop", "refresh_schedule", "-w", "deploy/workspace.grpc.yaml"]
            subprocess.run(schedule, cwd=PROJECT, env=env, check=True, capture_output=True)
            index = [*stop[:4], "playlists_index_automation", *stop[5:]]  # the backfill builds the index itself
            subprocess.run(index, cwd=PROJECT, env=env, check=True, capture_output=True)
            processes.start("webserver", ["./run.sh", *on_port(compose_command("webserver"), web_port)])
            processes.start("daemon", ["./run.sh", *compose_command("daemon")])

            def location_loaded():
                [entry] = graphql(web_port, LOCATION)["workspaceOrError"]["locationEntries"]
                return entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"

            processes.wait_for("the webserver and the code location", location_loaded, timeout=300)
            with dg.DagsterInstance.from_config(str(home)) as instance:  # the ids of the keys, as the sensor records them
                keys = record_playlist_ids(instance, demo_playlists.values())
            for key in keys:
                graphql(web_port, ADD_PARTITION, key=key)
            params = {"assetSelection": [{"path": asset.key.path} for asset in ALL_ASSETS], "partitionNames": keys}
            launched = graphql(web_port, BACKFILL, params=params)["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            backfill_id = launched["backfillId"]

            def backfill_done():
                status = graphql(web_port, BACKFILL_STATUS, id=backfill_id)["partitionBackfillOrError"]["status"]
                return status if status not in {"REQUESTED", "CANCELING", "FAILING"} else None

            status = processes.wait_for("the backfill", backfill_done, timeout=900)
            assert status in {"COMPLETED", "COMPLETED_SUCCESS"}, processes.log_tail("daemon")
        finally:
            processes.stop()

        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            records = instance.get_run_records()
            assert [record.dagster_run.tags.get("dagster/backfill") for record in records] == [backfill_id] * len(records), [
                (r.dagster_run.tags, r.dagster_run.asset_selection) for r in records
            ]
            assert {record.dagster_run.status for record in records} == {dg.DagsterRunStatus.SUCCESS}
            ranges = [keys_of_run(record.dagster_run, keys) for record in records]
            assert max(len(run_keys) for run_keys in ranges) == PER_RUN  # BackfillPolicy.multi_run, PER_RUN per run
            for asset in ALL_ASSETS:  # every asset of every playlist materialized, once
                events = instance.fetch_materializations(asset.key, limit=100).records
                expected = keys if asset.partitions_def else [None]  # liked_tracks, library_map, playlists_index: one each
                assert sorted(event.partition_key or "" for event in events) == sorted(key or "" for key in expected)
            assert max_overlap([(r.start_time, r.end_time) for r in records]) <= 2  # the run queue's limit
            pooled = []
            for record in records:
                starts = {}
                for entry in instance.all_logs(record.dagster_run.run_id):
                    event = entry.dagster_event
                    if event and event.step_key in POOLED_STEPS:
                        if event.event_type == dg.DagsterEventType.STEP_START:
                            starts[event.step_key] = entry.timestamp
                        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                            pooled.append((starts.pop(event.step_key), entry.timestamp))
            pooled_assets = {dg.AssetKey(step) for step in POOLED_STEPS}
            assert len(pooled) == sum(len(record.dagster_run.asset_selection & pooled_assets) for record in records)
            assert max_overlap(pooled) == 1  # the spotify_api pool's limit

    password = database["DAGSTER_PG_PASSWORD"].encode()
    files = [path for path in tmp_path.rglob("*") if path.is_file()]  # the processes' logs, DAGSTER_HOME, the pages
    assert any(path.name == "daemon.log" for path in files)
    assert [path for path in files if password in path.read_bytes()] == []
    assert len(list((output / "playlists").glob("*/clusters.md"))) == len(keys)
    for playlist in demo_playlists.values():  # every page where it belongs, each link of it to a file on disk
        page = page_path(output, playlist_slug(playlist.id, playlist.name))
        links = re.findall(r"\]\(([^)]+)\)", page.read_text(encoding="utf-8"))
        assert all((page.parent / link).resolve().is_file() for link in links if not link.startswith("https://")), page
