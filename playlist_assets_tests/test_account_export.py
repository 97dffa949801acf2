"""Spotify's "Download your data" export: Playlist1.json (current and older format) and YourLibrary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playlist_assets.features import FeatureChain
from playlist_assets.partitions import check_playlist_id
from playlist_assets.sources import AccountExportSource
from playlist_assets.sources.account_export import NO_URI, OLD_FORMAT
from playlist_assets.sources.web_api import track_frame


def track_id(n: int) -> str:
    return f"{n:022d}"


def track_item(n: int, name: str = "", uri: bool = True) -> dict:
    track = {"trackName": name or f"Song {n}", "artistName": "Noname", "albumName": "Telefone"}
    if uri:
        track["trackUri"] = f"spotify:track:{track_id(n)}"
    return {"track": track, "episode": None, "audiobook": None, "localTrack": None, "addedDate": "2024-06-28"}


def playlist(name: str, items: list) -> dict:
    return {"name": name, "lastModifiedDate": "2024-06-28", "items": items, "description": None, "numberOfFollowers": 0}


EPISODE = {
    "track": None,
    "episode": {"episodeName": "EP054", "showName": "A show", "episodeUri": "spotify:episode:5Bvdf0JeRVOZcD9TmxiMrs"},
    "audiobook": None,
    "localTrack": None,
    "addedDate": "2024-01-19",
}
LOCAL = {"track": None, "episode": None, "localTrack": {"uri": "spotify:local:Burial:Untrue:Untrue:376"}}
NAMES = [
    "מי זאת",
    "きらり",
    "青春修炼手册",
    "16th Birthday playlist ������16♐",
    "🏋🏾\u200d♀️ Work Out Time! 🏋🏾\u200d♀️",
]


def write_export(folder: Path, playlists: list[dict], liked: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Playlist1.json").write_text(json.dumps({"playlists": playlists}, ensure_ascii=False), encoding="utf-8")
    if liked is not None:
        (folder / "YourLibrary.json").write_text(json.dumps({"tracks": liked}), encoding="utf-8")
    return folder


def test_playlists_with_track_uris_give_the_web_api_track_table_and_count_the_rest(tmp_path):
    items = [track_item(n, NAMES[n]) for n in range(5)] + [EPISODE, LOCAL, track_item(1), None, {"track": None}]
    items.insert(2, {**EPISODE, "episode": None, "audiobook": {"audiobookName": "A book"}})
    source = AccountExportSource(path=str(write_export(tmp_path, [playlist(name, items) for name in NAMES])))

    listed = source.list_playlists()
    assert [p.name for p in listed] == NAMES  # names come through exactly, emoji, RTL and all
    fetched = source.fetch_playlist(check_playlist_id(listed[0].id))
    assert list(fetched.tracks.index) == [track_id(n) for n in range(5)]
    assert list(fetched.tracks["name"]) == NAMES
    assert fetched.skipped == {"local file": 1, "episode": 1, "empty item": 2, "duplicate": 1, "audiobook": 1}
    assert fetched.playlist.total_items == len(items) and not fetched.unreadable
    reference = track_frame({})
    assert fetched.tracks.dtypes.equals(reference.dtypes)
    first = fetched.tracks.iloc[0]
    assert (first["artists"], first["album"], first["added_at"]) == (("Noname",), "Telefone", "2024-06-28")
    assert (first["album_art_url"], first["label"], first["duration_ms"]) == ("", "", 0)

    features = FeatureChain().features(fetched.tracks)  # no provider measured them: metadata, nothing invented
    assert set(features["source"]) == {"metadata"}
    assert features[["release_year", "duration_min"]].isna().all().all()


def test_liked_songs_come_from_your_library(tmp_path):
    liked = [{"artist": "A", "album": "B", "track": "C", "uri": f"spotify:track:{track_id(n)}"} for n in (1, 2)]
    liked.append({"artist": "A", "album": "B", "track": "no uri"})
    source = AccountExportSource(path=str(write_export(tmp_path, [playlist("P", [track_item(1)])], liked)))
    assert source.liked_track_ids() == frozenset({track_id(1), track_id(2)})
    assert AccountExportSource(path=str(tmp_path / "Playlist1.json")).liked_track_ids() == frozenset()


def test_an_older_export_without_track_uris_matches_nothing_and_says_so(tmp_path):
    items = [track_item(n, uri=False) for n in range(4)] + [LOCAL]
    source = AccountExportSource(path=str(write_export(tmp_path, [playlist("qu", items)])))

    fetched = source.fetch_playlist(source.list_playlists()[0].id)
    assert fetched.tracks.empty
    assert fetched.skipped == {"local file": 1, NO_URI: 4}
    assert fetched.unreadable == OLD_FORMAT


def test_keys_are_stable_distinct_for_same_named_playlists_and_snapshots_follow_content(tmp_path):
    playlists = [playlist("Mix", [track_item(1)]), playlist("Mix", [track_item(2)]), playlist("Other", [])]
    first = AccountExportSource(path=str(write_export(tmp_path / "a", playlists))).list_playlists()
    playlists[1]["items"].append(track_item(3))
    again = AccountExportSource(path=str(write_export(tmp_path / "b", playlists))).list_playlists()

    assert len({p.id for p in first}) == 3 and [p.id for p in first] == [p.id for p in again]
    assert [a.snapshot_id == b.snapshot_id for a, b in zip(first, again)] == [True, False, True]


def test_broken_json_names_the_file_and_line(tmp_path):
    tmp_path.joinpath("Playlist1.json").write_text('{"playlists": [\n  {"name": "x",\n  "items": [}\n]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"Playlist1\.json: line 3: not valid JSON"):
        AccountExportSource(path=str(tmp_path)).list_playlists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No Playlist1.json under .*empty: is it the folder of Spotify's account data"):
        AccountExportSource(path=str(tmp_path / "empty")).list_playlists()
