"""The asset graph on an ephemeral instance, on the demo library."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.model import PlaylistInfo
from playlist_assets.partitions import add_playlist_partitions, playlist_key
from playlist_assets.sources.demo_library import ODDS_AND_ENDS, ODDS_AND_ENDS_SKIPPED, SPECIAL_CHARACTERS

SPECIAL_ESCAPED_NAME = r"Pipes \| &lt;Brackets&gt; \[&amp; Emoji\] 🎧🔥\`"


def materialize_key(instance, resources, key: str) -> dg.ExecuteInProcessResult:
    if instance.get_latest_materialization_event(LIKED_KEYS[0]) is None:
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    return dg.materialize(ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources)


def materialize_playlist(instance, resources, playlist: PlaylistInfo) -> dg.ExecuteInProcessResult:
    [key] = add_playlist_partitions(instance, [playlist])
    return materialize_key(instance, resources, key)


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    return {key: getattr(value, "value", value) for key, value in event.materialization.metadata.items()}


def test_international_pop_gets_a_page_and_a_scatter(instance, resources, demo_playlists):
    playlist = demo_playlists["International Pop"]
    result = materialize_playlist(instance, resources, playlist)
    assert result.success

    page = Path(result.output_for_node("clusters_page"))
    image = Path(result.output_for_node("clusters_scatter"))
    output = Path(resources["output"].path)
    assert page.parent.parent == output / "playlists" and page.name == "clusters.md"
    assert image.read_bytes().startswith(b"\x89PNG")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Clusters in International Pop\n")
    assert "מי זאת" in text and "きらり" in text and "青春修炼手册" in text and "💚" in text
    assert "demo (synthetic)" in text

    raw = metadata(result, "raw_tracks")
    clusters = metadata(result, "track_clusters")
    page_meta = metadata(result, "clusters_page")
    assert raw["dagster/row_count"] == 99 and raw["playlist_id"] == playlist.id
    assert clusters["k"] >= 2 and clusters["silhouette"] > 0
    assert page_meta["coverage"] == "99 of 99 tracks placed"
    assert page_meta["playlist_id"] == playlist.id and page_meta["playlist"] == "International Pop"
    assert page_meta["page"].startswith("# Clusters in International Pop")
    assert "data:image/png;base64," in metadata(result, "clusters_scatter")["scatter"]


@pytest.mark.parametrize("size", [0, 1, 2])
def test_playlist_too_small_gets_an_explanatory_page_and_no_image(instance, resources, demo_playlists, size):
    [playlist] = [p for p in demo_playlists.values() if p.total_items == size]
    result = materialize_playlist(instance, resources, playlist)
    assert result.success
    assert result.output_for_node("clusters_scatter") is None
    text = Path(result.output_for_node("clusters_page")).read_text(encoding="utf-8")
    assert "too few" in text or "no playable tracks" in text
    assert "![" not in text
    assert metadata(result, "track_clusters")["k"] == 0


def test_items_that_are_not_tracks_are_counted_by_reason(instance, resources, demo_playlists):
    result = materialize_playlist(instance, resources, demo_playlists[ODDS_AND_ENDS])
    assert metadata(result, "raw_tracks")["left out"] == ODDS_AND_ENDS_SKIPPED
    assert metadata(result, "raw_tracks")["dagster/row_count"] == 30
    text = Path(result.output_for_node("clusters_page")).read_text(encoding="utf-8")
    assert "left out: 2 local files, 2 episodes, 2 unavailable, 2 empty items, 2 duplicates" in text


def test_partition_key_that_names_no_playlist_fails_naming_it(instance, resources):
    instance.add_dynamic_partitions("playlists", ["added_by_hand"])  # as the UI's "Add partition" would
    with pytest.raises(Exception, match=r"partition key 'added_by_hand' names no playlist of the library"):
        materialize_key(instance, resources, "added_by_hand")


def test_a_recorded_id_that_is_not_a_spotify_id_fails_naming_it(instance, resources):
    with pytest.raises(Exception, match=r"'not-a-playlist' is not a Spotify id"):
        materialize_playlist(instance, resources, PlaylistInfo(id="not-a-playlist", name="Odd", snapshot_id=""))


def test_playlist_missing_from_the_source_fails_naming_it(instance, resources):
    with pytest.raises(Exception, match="0000000000000000000000"):
        materialize_playlist(instance, resources, PlaylistInfo(id="0" * 22, name="Gone", snapshot_id=""))


def test_a_partition_keyed_by_the_playlist_id_itself_is_still_that_playlist(instance, resources, demo_playlists):
    playlist = demo_playlists["International Pop"]
    instance.add_dynamic_partitions("playlists", [playlist.id])  # an instance whose partitions are keyed by id
    result = materialize_key(instance, resources, playlist.id)
    assert Path(result.output_for_node("clusters_page")).parent.name == playlist_key(playlist)


def test_names_full_of_markup_cannot_break_the_page(instance, resources, demo_playlists):
    result = materialize_playlist(instance, resources, demo_playlists[SPECIAL_CHARACTERS])
    text = Path(result.output_for_node("clusters_page")).read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len([row for row in rows if row.startswith("| <img") or row.startswith("| |")]) == 40
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 8 for row in rows)
    tags = set(re.findall(r"<(/?[a-z]+)", text))
    assert tags <= {"img", "details", "/details", "summary", "/summary"}
    assert text.splitlines()[0] == "# Clusters in " + SPECIAL_ESCAPED_NAME
