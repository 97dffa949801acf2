"""The README's first command, run as a newcomer would, into a temporary folder."""

import os
import re
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_first_readme_command_writes_a_page_for_every_playlist(tmp_path, demo_playlists):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home"), "PLAYLIST_ASSETS_OUTPUT": str(tmp_path / "out")}
    done = subprocess.run(["./run.sh"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{len(demo_playlists)} pages written" in done.stdout

    pages = sorted((tmp_path / "out" / "playlists").glob("*/clusters.md"))
    assert len(pages) == len(demo_playlists)
    titles = {page.read_text(encoding="utf-8").splitlines()[0] for page in pages}
    assert "# Clusters in International Pop" in titles
    with_image = 0
    for page in pages:
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
            if not target.startswith("https://"):
                assert (page.parent / target).resolve().is_file(), f"{page}: broken link {target}"
                with_image += target.endswith(".png")
    assert with_image == sum(playlist.total_items >= 8 for playlist in demo_playlists.values())

    # rerunning every playlist on unchanged input writes the same bytes: no timestamp, version or seed leaks,
    # but for the index's Refreshed column, which says when each playlist was last refreshed
    before, refreshed_before = _written(tmp_path / "out")
    again = subprocess.run(["./run.sh", "--all"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{len(demo_playlists)} pages written" in again.stdout
    after, refreshed_after = _written(tmp_path / "out")
    assert after == before
    assert len(refreshed_after) == len(refreshed_before) == len(demo_playlists)
    assert all(old <= new for old, new in zip(refreshed_before, refreshed_after))

    # the instance is persistent: a second process sees the partitions and the materializations
    check = subprocess.run(
        ["./run.sh", "python", "-c", "import dagster as dg; print(len(dg.DagsterInstance.get().get_dynamic_partitions('playlists')))"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert check.stdout.strip() == str(len(demo_playlists))


_REFRESHED = re.compile(rb"\| (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \|")


def _written(output: Path) -> tuple[dict[Path, bytes], list[bytes]]:
    """Every file under ``output`` and its bytes, with the index's Refreshed times taken out; those times."""
    files = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}
    index = output / "index.md"
    refreshed = _REFRESHED.findall(files[index])
    files[index] = _REFRESHED.sub(b"| (refreshed) |", files[index])
    return files, refreshed
