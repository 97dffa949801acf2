"""A run killed while it writes a page leaves the previous page and image intact, and the next run completes."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from playlist_assets.model import PlaylistInfo
from playlist_assets_tests.postgres import ON_BOTH_STORAGES, postgres_storage

PROJECT = Path(__file__).resolve().parents[1]

#: Materializes playlist argv[4] (named argv[5]) into argv[1] (output) with storage in argv[2]. With argv[3] == "hang",
#: the write of the page's temporary file stops half-way, says so on stdout and waits to be killed.
RUN_PLAYLIST = textwrap.dedent(
    """
    import os, sys, time
    import dagster as dg
    from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
    from playlist_assets.features import DemoFeatures
    from playlist_assets.jobs import LIKED_KEYS
    from playlist_assets.model import PlaylistInfo
    from playlist_assets.partitions import add_playlist_partitions
    from playlist_assets.resources import OutputFolder
    from playlist_assets.sources import DemoSource
    from playlist_assets.storage import PartitionedPickleIOManager
    from playlist_assets.writers import files

    output, home, mode, playlist_id, name = sys.argv[1:6]

    class HalfWrittenFile:
        def __init__(self, file):
            self.file = file
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.file.close()
        def write(self, data):
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            print("half written", flush=True)
            time.sleep(600)
        def __getattr__(self, name):
            return getattr(self.file, name)

    def open_page_half_way(path, mode, *args):
        file = open(path, mode, *args)
        return HalfWrittenFile(file) if ".clusters.md." in str(path) else file

    if mode == "hang":
        files.open = open_page_half_way
    resources = {
        "source": DemoSource(),
        "features": DemoFeatures(),
        "output": OutputFolder(path=output),
        "io_manager": PartitionedPickleIOManager(base_dir=home + "/storage"),
    }
    instance = dg.DagsterInstance.from_config(home)  # SQLite in home, or the storage its dagster.yaml names
    [key] = add_playlist_partitions(instance, [PlaylistInfo(id=playlist_id, name=name, snapshot_id="")])
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    dg.materialize(ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources)
    print("done", flush=True)
    """
)


def run_playlist(playlist: PlaylistInfo, output: Path, home: Path, mode: str = "normal") -> subprocess.Popen:
    command = [sys.executable, "-c", RUN_PLAYLIST, str(output), str(home), mode, playlist.id, playlist.name]
    return subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True, env={**os.environ, "DAGSTER_HOME": ""})


def outputs(output: Path) -> dict[str, bytes]:
    return {str(path.relative_to(output)): path.read_bytes() for path in sorted(output.rglob("*")) if path.is_file()}


@ON_BOTH_STORAGES
def test_killed_while_writing_the_page_keeps_the_previous_outputs_and_the_next_run_completes(tmp_path, demo_playlists, storage):
    playlist = demo_playlists["International Pop"]
    output, home = tmp_path / "output", tmp_path / "home"
    home.mkdir()
    if storage:  # the runs' processes read the DAGSTER_PG_* variables the fixture set
        (home / "dagster.yaml").write_text(yaml.safe_dump(postgres_storage()))
    first = run_playlist(playlist, output, home)
    assert first.communicate(timeout=300)[0].endswith("done\n")
    before = outputs(output)
    assert any(name.endswith("clusters.md") for name in before) and any(name.endswith(".png") for name in before)

    killed = run_playlist(playlist, output, home, mode="hang")
    try:
        assert killed.stdout.readline() == "half written\n"
        temporary = [name for name in outputs(output) if name not in before]
        assert len(temporary) == 1 and ".clusters.md." in temporary[0]
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=60)

    assert {name: data for name, data in outputs(output).items() if name in before} == before

    again = run_playlist(playlist, output, home)
    assert again.communicate(timeout=300)[0].endswith("done\n")
    assert outputs(output) == before  # same bytes, and the killed run's temporary file is gone
