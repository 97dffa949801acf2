"""Hostile and odd playlists, served over HTTP by a fake Spotify account, through the whole asset graph.

Every page must render safely (no HTML or link injection, tables intact, names exactly as they went in) or fail
with an error naming the playlist, and nothing may be written outside the output folder.
"""

import json
import math
import re
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.features import FeatureProvider
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.render import escape_cell
from playlist_assets.resources import OutputFolder
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.conftest import add_partitions
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, episode_item, item, local_item, track

HOSTILE_NAMES = [
    "pipe | in the middle",
    "`back`ticks``",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "click](javascript:alert(1))",
    "[link](javascript:alert(1))",
    "two\nlines\r\nand more",
    "\u202eright-to-left override \u200f mark",
    "zero\u200bwidth\u200djoiner",
    "🎧🔥🎶",
    "**bold** _it_ # not a heading ~strike~",
    "מי זאת · きらり · 青春修炼手册",
]
PLAYLIST_NAMES = ["..", "../../etc", "CON", "x" * 300, "🎧🎧🎧", "Café Mix", "Cafe Mix", "<script>x</script>\nline"]
ALLOWED_TAGS = {"details", "summary", "img"}


class StaticFeatures(FeatureProvider):
    """Features from a JSON object {track id: {column: number}}; NaN and Infinity allowed."""

    table: str

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        rows = json.loads(self.table)
        known = [track_id for track_id in tracks.index if track_id in rows]
        frame = pd.DataFrame([rows[t] for t in known], index=pd.Index(known, name="track_id"), dtype="float64")
        return frame.assign(source="static")


def three_groups(track_ids: list[str]) -> dict[str, dict[str, float]]:
    """Features that fall into three clear groups."""
    centres = [(0.1, 0.9, 0.2), (0.9, 0.1, 0.5), (0.5, 0.5, 0.9)]
    return {
        track_id: dict(zip(("energy", "acousticness", "valence"), (c + 0.01 * (i % 5) for c in centres[i % 3])))
        for i, track_id in enumerate(track_ids)
    }


def tracks_named(prefix: str, names: list[str]) -> list[dict]:
    return [
        track(f"{prefix}{i:03d}", name, album_name=name, artist=name, album_id=f"al-{prefix}{i:03d}")
        for i, name in enumerate(names)
    ]


def build_corpus(account: FakeSpotifyAccount) -> tuple[dict[str, str], dict]:
    """Adds the corpus playlists; returns {case: playlist id} and the features of every track."""
    features: dict = {}
    cases = {}

    hostile = tracks_named("h", HOSTILE_NAMES)
    cases["hostile names"] = account.add_playlist("Hostile names", hostile)
    features.update(three_groups([t["id"] for t in hostile]))

    for number, name in enumerate(PLAYLIST_NAMES):
        entries = tracks_named(f"n{number}x", ["one", "two", "three"])
        cases[f"playlist name {name[:20]!r}"] = account.add_playlist(name, entries)
        features.update(three_groups([t["id"] for t in entries]))

    alike = tracks_named("s", [f"same {i}" for i in range(20)])
    cases["identical features"] = account.add_playlist("All alike", alike)
    features.update({t["id"]: {"energy": 0.5, "acousticness": 0.5, "valence": 0.5} for t in alike})

    broken = tracks_named("b", [f"broken {i}" for i in range(24)])
    cases["NaN, infinite and out-of-range features"] = account.add_playlist("Broken numbers", broken)
    features.update(three_groups([t["id"] for t in broken]))
    features["b000"]["energy"] = math.nan
    features["b001"]["valence"] = math.inf
    features["b002"]["acousticness"] = -math.inf
    features["b003"]["energy"] = 1e300

    odd = tracks_named("o", [f"odd {i}" for i in range(12)])
    for entry in odd[:4]:
        entry["album"]["images"] = []
        entry.pop("external_urls")
    entries = [*odd, odd[0], odd[1], local_item(), episode_item(), None, item(None)]
    cases["duplicates, local files, episodes, null items, missing art"] = account.add_playlist("Odds", entries)
    features.update(three_groups([t["id"] for t in odd]))

    for size in (0, 1, 2):
        entries = tracks_named(f"z{size}x", [f"only {i}" for i in range(size)])
        cases[f"{size} tracks"] = account.add_playlist(f"{size} tracks", entries)
        features.update(three_groups([t["id"] for t in entries]))
    return cases, features


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """Materializes every corpus playlist once; yields the output folder, the runs by case and the account."""
    root = tmp_path_factory.mktemp("corpus")
    with FakeSpotifyAccount() as account, dg.instance_for_test() as instance:
        cases, features = build_corpus(account)
        resources = {
            "source": account.source(root),
            "features": StaticFeatures(table=json.dumps(features)),
            "output": OutputFolder(path=str(root / "output")),
            "io_manager": PartitionedPickleIOManager(base_dir=str(root / "storage")),
        }
        names = {playlist_id: account.playlists[playlist_id]["name"] for playlist_id in cases.values()}
        keys = dict(zip(cases, add_partitions(instance, names)))
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
        runs = {
            case: dg.materialize(
                ALL_ASSETS,
                selection=PLAYLIST_ASSETS,
                partition_key=key,
                instance=instance,
                resources=resources,
                raise_on_error=False,
            )
            for case, key in keys.items()
        }
        yield root, runs, account


def page_file(run: dg.ExecuteInProcessResult) -> Path:
    assert run.success, run.get_step_failure_events()
    [page] = [e for e in run.get_asset_materialization_events() if e.asset_key.path == ["clusters_page"]]
    return Path(page.materialization.metadata["path"].value)


def page_of(run: dg.ExecuteInProcessResult) -> str:
    return page_file(run).read_text(encoding="utf-8")


def assert_renders_safely(page: str) -> None:
    tags = {tag.lower() for tag in re.findall(r"<\s*/?\s*([A-Za-z]+)", page)}
    assert tags <= ALLOWED_TAGS, f"unexpected HTML tags {tags - ALLOWED_TAGS}"
    # Links go to the web, up to the images, to the scatter or to the playlist's map: none to a name's text.
    assert not re.search(r"(?<!\\)\]\((?!https://|\.\./|[\w./-]+\.png\)|map\.html\))", page), "a link to somewhere unexpected"
    assert not re.search(r"on\w+\s*=", page.replace("onerror=alert", "")), "an event handler attribute"
    for line in page.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) == 9, f"a table row with {len(cells) - 2} cells: {line!r}"


@pytest.mark.parametrize(
    "case",
    [
        "hostile names",
        *[f"playlist name {name[:20]!r}" for name in PLAYLIST_NAMES],
        "identical features",
        "NaN, infinite and out-of-range features",
        "duplicates, local files, episodes, null items, missing art",
        "0 tracks",
        "1 tracks",
        "2 tracks",
    ],
)
def test_every_case_renders_a_safe_page(corpus_run, case):
    _, runs, _ = corpus_run
    assert_renders_safely(page_of(runs[case]))


def test_hostile_names_come_out_exactly_as_they_went_in_escaped(corpus_run):
    _, runs, _ = corpus_run
    page = page_of(runs["hostile names"])
    for name in HOSTILE_NAMES:
        assert escape_cell(name) in page
    assert "<script" not in page and "<img src=x" not in page


def test_odd_playlist_names_stay_inside_the_output_folder_each_in_its_own(corpus_run):
    root, runs, _ = corpus_run
    output = (root / "output").resolve()
    pages = [page_file(runs[f"playlist name {name[:20]!r}"]).resolve() for name in PLAYLIST_NAMES]
    assert len({page.parent for page in pages}) == len(PLAYLIST_NAMES)
    for page in pages:
        assert page.parent.parent == output / "playlists"
        assert len(page.parent.name) <= 49
    written = [path for path in root.rglob("*") if path.is_file()]
    assert all(
        path.resolve().is_relative_to(output) or path.resolve().is_relative_to(root / "storage")
        or path.resolve().is_relative_to(root / "config") or path.resolve().is_relative_to(root / "cache")
        for path in written
    )
    heading = page_of(runs[f"playlist name {PLAYLIST_NAMES[-1][:20]!r}"]).splitlines()[0]
    assert heading == "# Clusters in " + escape_cell(PLAYLIST_NAMES[-1])


def test_identical_features_give_one_cluster(corpus_run):
    _, runs, _ = corpus_run
    assert runs["identical features"].output_for_node("track_clusters").k <= 1


def test_broken_numbers_are_not_placed_and_the_rest_is_clustered(corpus_run):
    _, runs, _ = corpus_run
    run = runs["NaN, infinite and out-of-range features"]
    clustering = run.output_for_node("track_clusters")
    assert {"b000", "b001", "b002"}.isdisjoint(clustering.tracks.index)
    assert clustering.k == 3
    page = page_of(run)
    assert "Not placed" in page


def test_odd_items_are_counted_and_tracks_without_art_or_link_render_without_them(corpus_run):
    _, runs, _ = corpus_run
    run = runs["duplicates, local files, episodes, null items, missing art"]
    raw = run.output_for_node("raw_tracks")
    assert len(raw.tracks) == 12
    assert raw.skipped == {"local file": 1, "episode": 1, "empty item": 2, "duplicate": 2}
    page = page_of(run)
    assert "](None)" not in page and 'src=""' not in page and "](https://open.spotify.com/track/o000)" not in page


def test_a_playlist_id_that_is_not_base62_fails_naming_it(tmp_path):
    with FakeSpotifyAccount() as account, dg.instance_for_test() as instance:
        bad_id = "../../etc/passwd______"
        [key] = add_partitions(instance, {bad_id: "passwd"})
        resources = {
            "source": account.source(tmp_path),
            "features": StaticFeatures(table="{}"),
            "output": OutputFolder(path=str(tmp_path / "output")),
            "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        }
        run = dg.materialize(
            ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources,
            raise_on_error=False,
        )
        assert not run.success
        [failure] = run.get_step_failure_events()
        assert bad_id in failure.step_failure_data.error.to_string()
        assert not (tmp_path / "output").exists()
        assert account.paths("/v1/playlists") == []


@pytest.mark.slow
def test_a_playlist_of_10000_tracks_is_read_in_200_pages_clustered_and_listed_whole(tmp_path):
    with FakeSpotifyAccount() as account, dg.instance_for_test() as instance:
        entries = tracks_named("big", [f"track {i}" for i in range(10_000)])
        playlist_id = account.add_playlist("Ten thousand", entries)
        resources = {
            "source": account.source(tmp_path, look_up_labels=False),
            "features": StaticFeatures(table=json.dumps(three_groups([t["id"] for t in entries]))),
            "output": OutputFolder(path=str(tmp_path / "output")),
            "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        }
        [key] = add_partitions(instance, {playlist_id: "Ten thousand"})
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
        run = dg.materialize(
            ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources
        )
        assert len(account.paths(f"/v1/playlists/{playlist_id}/items")) == 200
        assert run.output_for_node("track_clusters").k == 3
        page = page_of(run)
        assert_renders_safely(page)
        assert sum(line.startswith("| <img") for line in page.splitlines()) == 10_000
