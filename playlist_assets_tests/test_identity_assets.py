"""Clusters that keep their identity, through the assets: each refresh carries on the playlist's stored clustering
(by its id, through a rename), says what changed since, and ``--recluster`` starts afresh."""

import contextlib
import dataclasses
import io
from pathlib import Path

import pandas as pd

from playlist_assets import cli
from playlist_assets.analysis import cluster_features
from playlist_assets.assets import track_clusters
from playlist_assets.assets.index import library_rows
from playlist_assets.features import DemoFeatures
from playlist_assets.instance_queries import latest_pages
from playlist_assets.model import Clustering, PlaylistInfo
from playlist_assets.page_record import PageRecord
from playlist_assets.partitions import playlist_key
from playlist_assets.render import page_path
from playlist_assets.render.index import index_path
from playlist_assets.render.markdown import escape_cell
from playlist_assets.sources import DemoSource
from playlist_assets.sources.demo_library import FOUR_GENRES, INTERNATIONAL_POP
from playlist_assets.storage import PickleStore
from playlist_assets_tests.test_backfill import SmallLibrary, definitions

RENAMED = "Four Corners, Edited"


class EditedLibrary(SmallLibrary):
    """The small library with Four Corners edited (a new snapshot): its first track out, the first track of
    International Pop in; ``rename`` renames it too."""

    rename: bool = False

    def list_playlists(self):
        return [self._edited(playlist) for playlist in super().list_playlists()]

    def fetch_playlist(self, playlist_id):
        playlist = super().fetch_playlist(playlist_id)
        if playlist.playlist.name != FOUR_GENRES:
            return playlist
        [pop] = [p for p in DemoSource().list_playlists() if p.name == INTERNATIONAL_POP]
        added = DemoSource().fetch_playlist(pop.id).tracks.iloc[:1].assign(position=len(playlist.tracks))
        tracks = pd.concat([playlist.tracks.iloc[1:], added])
        return dataclasses.replace(playlist, playlist=self._edited(playlist.playlist), tracks=tracks)

    def _edited(self, playlist: PlaylistInfo) -> PlaylistInfo:
        if playlist.name != FOUR_GENRES:
            return playlist
        return dataclasses.replace(playlist, snapshot_id="edited", name=RENAMED if self.rename else playlist.name)


def refresh(instance, resources, source, **options) -> None:
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert cli.refresh(instance, definitions(resources, source), **options) == 0, printed.getvalue()


def stored(instance, resources, playlist: PlaylistInfo) -> Clustering:
    return PickleStore(Path(resources["io_manager"].base_dir), instance).stored_playlist_value(track_clusters.key, playlist.id)


def page_of(resources, playlist: PlaylistInfo) -> str:
    return page_path(Path(resources["output"].path), playlist_key(playlist)).read_text(encoding="utf-8")


def edited(source: EditedLibrary) -> PlaylistInfo:
    [playlist] = [p for p in source.list_playlists() if p.id == four_corners().id]
    return playlist


def four_corners() -> PlaylistInfo:
    [playlist] = [p for p in SmallLibrary().list_playlists() if p.name == FOUR_GENRES]
    return playlist


def test_a_small_edit_keeps_numbers_and_names_and_the_page_says_what_changed_since_the_previous_refresh(
    instance, resources
):
    refresh(instance, resources, SmallLibrary())
    first = stored(instance, resources, four_corners())
    assert first.made_on and "## Since" not in page_of(resources, four_corners())

    source = EditedLibrary()
    refresh(instance, resources, source)

    after = stored(instance, resources, four_corners())
    stayed = first.tracks.index.intersection(after.tracks.index)
    assert len(stayed) == 79 and after.tracks["cluster"][stayed].equals(first.tracks["cluster"][stayed])
    assert after.names == first.names and after.changes.since == first.made_on
    page = page_of(resources, edited(source))
    [gone], [joined] = set(first.tracks.index) - set(after.tracks.index), set(after.tracks.index) - set(first.tracks.index)
    assert f"## Since {first.made_on}\n\n- Cluster #" in page
    assert f"1 left ({escape_cell(first.titles[gone])})" in page
    assert f"1 joined ({escape_cell(after.titles[joined])})" in page
    assert page.index("## Since") < page.index("## Cluster #1")
    record = PageRecord.from_event_record(latest_pages(instance)[playlist_key(four_corners())])
    assert record.since == first.made_on and record.cluster_names == first.names
    assert (record.changes["tracks added"], record.changes["tracks removed"]) == (1, 1)
    [row] = [row for row in library_rows(instance) if row.key == playlist_key(four_corners())]
    assert row.cluster_names == first.names
    index = index_path(Path(resources["output"].path)).read_text(encoding="utf-8")
    assert ", ".join(f"#{number} {name}" for number, name in sorted(first.names.items())) in index


def test_refreshing_an_unchanged_library_writes_the_same_bytes_and_keeps_the_since_section(instance, resources):
    source = EditedLibrary()
    refresh(instance, resources, SmallLibrary())
    refresh(instance, resources, source)
    output = Path(resources["output"].path) / "playlists"
    before = {path: path.read_bytes() for path in sorted(output.rglob("*")) if path.is_file()}

    refresh(instance, resources, source, everything=True)

    assert {path: path.read_bytes() for path in sorted(output.rglob("*")) if path.is_file()} == before
    assert "## Since" in page_of(resources, edited(source))


def test_recluster_starts_afresh(instance, resources):
    source = EditedLibrary()
    refresh(instance, resources, SmallLibrary())
    refresh(instance, resources, source)

    refresh(instance, resources, source, recluster=True)

    afresh = stored(instance, resources, four_corners())
    playlist = source.fetch_playlist(four_corners().id)
    fresh = cluster_features(DemoFeatures().features(playlist.tracks))
    assert afresh.changes is None and afresh.retired == () and "## Since" not in page_of(resources, edited(source))
    assert afresh.tracks["cluster"].equals(fresh.tracks["cluster"]) and afresh.names == fresh.names
    assert afresh.note == fresh.note


def test_a_renamed_playlist_keeps_its_numbers_and_names_under_its_new_key(instance, resources):
    refresh(instance, resources, SmallLibrary())
    first = stored(instance, resources, four_corners())
    source = EditedLibrary(rename=True)

    refresh(instance, resources, source)

    renamed = edited(source)
    assert playlist_key(renamed) != playlist_key(four_corners()) and renamed.name == RENAMED
    after = stored(instance, resources, renamed)
    stayed = first.tracks.index.intersection(after.tracks.index)
    assert after.tracks["cluster"][stayed].equals(first.tracks["cluster"][stayed]) and after.names == first.names
    page = page_of(resources, renamed)
    assert page.startswith(f"# Clusters in {RENAMED}\n") and f"## Since {first.made_on}\n" in page
