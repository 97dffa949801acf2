"""The Dagster UI as a user meets it: `./run.sh`, then `./run.sh ui`, driven in headless Chromium.

Needs Debian's chromium (`apt-get install -y chromium fonts-noto-color-emoji fonts-noto-cjk`, done by .ci/run)
and Playwright (the `dev` extra); no browser is downloaded. The webserver and the daemon run on a free port
against a temporary DAGSTER_HOME and output folder; album art, which would come from Spotify's image CDN, is
served by the test. Every step leaves a screenshot in the folder named by a failure.
"""

import io
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import dagster as dg
import pytest
from PIL import Image

from playlist_assets.partitions import playlist_key
from playlist_assets.sources import DemoSource
from playlist_assets_tests.servers import free_port

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get install -y chromium fonts-noto-color-emoji fonts-noto-cjk"
PLAYLIST_ASSETS = ["raw_tracks", "track_features", "track_clusters", "clusters_scatter", "clusters_map", "clusters_page"]
PAGE_CHECKS = ["page_links_resolve", "page_lists_every_track", "scatter_is_a_png"]
ART_CDN = "https://i.scdn.co/**"
#: The group's page; the code location is named after the module of workspace.yaml.
GROUP_PAGE = "/locations/__repository__@playlist_assets.definitions/asset-groups/playlists"
#: Seconds to wait for the UI to start, and for a run or a backfill to finish, on a loaded 2-core machine.
START_TIMEOUT, RUN_TIMEOUT = 180, 600


def album_cover() -> bytes:
    with io.BytesIO() as png:
        Image.new("RGB", (64, 64), (30, 215, 96)).save(png, "PNG")
        return png.getvalue()


def require_browser() -> None:
    """Fail, saying what to install, when Chromium or Playwright is missing (a missing browser is no reason to skip)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `{INSTALL}` (as .ci/run does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("Playwright is missing: install the project with its dev extra (./run.sh does)")


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui_screenshots")


def run_demo(root: Path) -> dict[str, str]:
    """The demo library written by `./run.sh` into a temporary instance and output folder under ``root`` (as a user
    starts); the environment it ran in."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "PLAYLIST_ASSETS_OUTPUT": str(root / "output"),
        "PLAYLIST_ASSETS_SOURCE": "demo",
        "PORT": str(free_port()),
    }
    done = subprocess.run([str(PROJECT / "run.sh")], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return env


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict[str, str]:
    require_browser()
    return run_demo(tmp_path_factory.mktemp("ui_library"))


@pytest.fixture(scope="module")
def ui(environment, tmp_path_factory) -> Iterator[str]:
    """`./run.sh ui` in a process group of its own; its address. The whole group is stopped afterwards."""
    log_path = tmp_path_factory.mktemp("ui_log") / "ui.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(PROJECT / "run.sh"), "ui"], env=environment, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{environment['PORT']}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"./run.sh ui stopped: {log_path.read_text()}"
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, f"the UI did not answer in {START_TIMEOUT} s: {log_path.read_text()}"
                time.sleep(1)
        yield url
    finally:
        stop_group(server)
    printed = log_path.read_text()
    assert "dagster dev" not in printed and "will not be used" not in printed, printed


def stop_group(server: subprocess.Popen) -> None:
    """Stop every process of the server's group: politely, then for good after 30 s."""
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def page(ui):
    """A Chromium page on the UI; album covers are served locally."""
    from playwright.sync_api import sync_playwright

    cover = album_cover()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        tab = browser.new_page(viewport={"width": 1400, "height": 1000}, base_url=ui)
        tab.set_default_timeout(60_000)
        tab.route(ART_CDN, lambda route: route.fulfill(body=cover, content_type="image/png"))
        # The first visit's "Join the Dagster community" dialog: skipped already, as the UI remembers it (its
        # localStorage entry), so that it cannot open over a menu being typed into; else skipped whenever it shows.
        tab.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
        tab.add_locator_handler(
            tab.get_by_text("Join the Dagster community"), lambda: tab.get_by_role("button", name="Skip").click()
        )
        yield tab
        browser.close()


@contextmanager
def step(tab, shots: Path, name: str) -> Iterator[None]:
    """Screenshot the page after the step, and name the screenshots' folder when it fails."""
    try:
        yield
    except Exception as error:
        tab.screenshot(path=shots / f"{name}-failed.png", full_page=True)
        kind = type(error) if isinstance(error, AssertionError) else AssertionError
        raise kind(f"{name}: {error}\nScreenshots of every step: {shots}") from error
    tab.screenshot(path=shots / f"{name}.png", full_page=True)


@contextmanager
def ui_instance(environment) -> Iterator[dg.DagsterInstance]:
    """The UI's instance. Its dagster.yaml names the SQLite storage's folder by DAGSTER_HOME (see
    playlist_assets/instance_storage.py), so that variable is the UI's while the instance is open."""
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": environment["DAGSTER_HOME"]}):
        with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
            yield instance


def wait_for_runs(environment, kind: str, launched_after: float) -> list[dg.DagsterRun]:
    """The runs launched after ``launched_after``, once none of them is queued or running (and there is one)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    with ui_instance(environment) as instance:
        while time.monotonic() < deadline:
            records = instance.get_run_records(dg.RunsFilter(created_after=datetime.fromtimestamp(launched_after, UTC)))
            runs = [record.dagster_run for record in records]
            if runs and all(run.is_finished for run in runs) and not pending_backfills(instance):
                return runs
            time.sleep(2)
    raise AssertionError(f"the {kind} did not finish in {RUN_TIMEOUT} s")


def wait_for_tag(environment, run_id: str, tag: str) -> None:
    """Wait until the run has the tag (added by a sensor once the run started)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    with ui_instance(environment) as instance:
        while tag not in instance.get_run_by_id(run_id).tags:
            assert time.monotonic() < deadline, f"run {run_id} got no tag {tag!r} in {RUN_TIMEOUT} s"
            time.sleep(2)


def wait_for_index(environment, after: float) -> None:
    """Wait until the automation has rebuilt the index after ``after``."""
    deadline = time.monotonic() + RUN_TIMEOUT
    with ui_instance(environment) as instance:
        while time.monotonic() < deadline:
            event = instance.get_latest_materialization_event(dg.AssetKey("playlists_index"))
            if event is not None and event.timestamp > after:
                return
            time.sleep(2)
    raise AssertionError(f"the index was not rebuilt in {RUN_TIMEOUT} s after the backfill")


def backfill_id(environment) -> str:
    with ui_instance(environment) as instance:
        (backfill,) = instance.get_backfills()
        return backfill.backfill_id


def pending_backfills(instance) -> list:
    return [backfill for backfill in instance.get_backfills() if backfill.status.name == "REQUESTED"]


def demo_keys() -> dict[str, str]:
    return {playlist.name: playlist_key(playlist) for playlist in DemoSource().list_playlists()}


def test_the_graph_of_the_playlists_group_renders(page, shots):
    with step(page, shots, "1-graph"):
        page.goto(GROUP_PAGE)
        for name in [*PLAYLIST_ASSETS, "liked_tracks", "library_map", "playlists_index"]:
            page.get_by_text(name, exact=True).first.wait_for()


def test_the_partitions_are_listed_and_a_playlist_is_found_by_typing_its_name(page, shots):
    from playwright.sync_api import expect

    pop = demo_keys()["International Pop"]
    assert pop == "international_pop_d8ae6175"
    with step(page, shots, "2-index-names"):
        page.goto("/assets/playlists_index")
        page.get_by_text("International Pop").first.wait_for()
        row = page.locator("tr", has_text="International Pop").first
        assert pop in row.inner_text()
    with step(page, shots, "3-partitions"):
        page.goto("/assets/clusters_page?view=partitions")
        page.get_by_text(f"Materialized ({len(demo_keys())})").wait_for()
        page.get_by_text(demo_keys()["Four Corners"]).first.wait_for()
        page.get_by_placeholder("Filter by name…").fill("international")
        expect(page.get_by_text(demo_keys()["Four Corners"])).to_have_count(0)  # the others are filtered out
        page.get_by_text(pop).first.click()
        page.get_by_text("International Pop").first.wait_for()


def test_one_playlist_is_materialized_from_the_ui_and_its_preview_shows_album_art(page, shots, environment):
    from playwright.sync_api import expect

    pop = demo_keys()["International Pop"]
    with step(page, shots, "4-launch-one"):
        page.goto("/assets/clusters_page?view=partitions")
        page.get_by_role("button", name="Materialize…").click()
        page.get_by_text("Select a partition or create one").click()
        page.keyboard.type("international")
        found = page.get_by_role("menuitem", name=pop)
        found.wait_for()
        expect(page.get_by_role("menuitem", name=demo_keys()["Four Corners"])).to_have_count(0)  # the others not
        found.click()
        page.keyboard.press("Escape")
        launched = time.time()
        page.get_by_role("button", name="Launch 1 run").click()
        runs = wait_for_runs(environment, "run of International Pop", launched)
        (run,) = [run for run in runs if run.tags.get("dagster/partition") == pop]
        assert run.status == dg.DagsterRunStatus.SUCCESS
    with step(page, shots, "5-run"):
        wait_for_tag(environment, run.run_id, "playlist")
        page.goto(f"/runs/{run.run_id}")
        page.get_by_text("Success").first.wait_for()
    with step(page, shots, "6-runs-named"):
        page.goto("/runs")
        page.get_by_text("playlist: International Pop").first.wait_for()
    with step(page, shots, "7-preview"):
        page.goto(f"/assets/clusters_page?view=partitions&partition={pop}")
        page.get_by_text("[Show Markdown]").click()
        preview = page.get_by_role("dialog")
        preview.get_by_text("Clusters in International Pop").wait_for()
        covers = preview.locator("img[src^='https://i.scdn.co/']")
        covers.first.wait_for()
        assert covers.count() >= 10
        width, shown = covers.first.evaluate("image => [image.naturalWidth, image.complete]")
        assert shown and width == 64
        assert preview.locator("table").count() == preview.locator("h2", has_text="Cluster #").count()  # not "Since"


def test_a_backfill_of_every_playlist_is_launched_from_the_ui(page, shots, environment):
    with step(page, shots, "8-launch-backfill"):
        page.goto("/assets/clusters_page?view=partitions")
        page.get_by_role("button", name="Materialize…").click()
        page.get_by_role("button", name="All", exact=True).click()
        launched = time.time()
        page.get_by_role("button", name="Launch backfill").click()
        runs = wait_for_runs(environment, "backfill", launched)
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * len(runs)
    with step(page, shots, "9-backfill"):
        page.goto(f"/runs/b/{backfill_id(environment)}")
        page.get_by_text("Succeeded").first.wait_for()
        summary = " ".join(page.locator("body").inner_text().split())
        assert f"Partition selection {len(demo_keys())} partitions" in summary and "100% completed" in summary
    with step(page, shots, "10-index-rebuilt"):
        wait_for_index(environment, launched)
        page.goto("/assets/playlists_index")
        page.locator("tr", has_text="International Pop").first.wait_for()


def test_the_page_checks_then_show_passed_for_every_playlist(page, shots):
    playlists = len(demo_keys())
    with step(page, shots, "11-checks"):
        page.goto("/assets/clusters_page?view=checks")
        for check in PAGE_CHECKS:
            page.get_by_text(check).first.click()
            page.get_by_text("Partitions", exact=True).last.click()
            page.get_by_text("Passed").last.wait_for()
            counts = " ".join(page.locator("body").inner_text().split())
            assert f"Passed ({playlists})" in counts and "Skipped (0)" in counts, f"{check}: {counts[-600:]}"
