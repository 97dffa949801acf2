"""Parsing of Web API documents, served by a dict standing in for the API."""

import pytest

from playlist_assets.model import SKIP_REASONS, TRACK_COLUMNS
from playlist_assets.sources.web_api import (
    API_ROOT,
    AUDIO_FEATURE_COLUMNS,
    audio_features,
    fetch_playlist,
    iter_pages,
    liked_track_ids,
    list_playlists,
)

ITEMS_URL = f"{API_ROOT}/playlists/PL1/items"


def serve(documents: dict[str, dict]):
    """A get_json answering from ``documents`` (and recording the URLs asked for)."""

    def get_json(url: str) -> dict:
        get_json.requested.append(url)
        if url not in documents:
            raise LookupError(url)
        return documents[url]

    get_json.requested = []
    return get_json


def track(track_id, name, **fields):
    album = {"id": f"al-{track_id}", "name": f"Album of {name}", "release_date": "2019-05-17"}
    album.update(fields.pop("album", {}))
    return {
        "id": track_id,
        "name": name,
        "type": "track",
        "is_local": False,
        "duration_ms": 200_000,
        "explicit": False,
        "album": album,
        "artists": [{"id": f"ar-{track_id}", "name": f"Artist of {name}"}],
        **fields,
    }


def item(entity, added_at="2024-01-01T00:00:00Z", **fields):
    return {"added_at": added_at, "added_by": {"id": "me"}, "is_local": False, "item": entity, "track": entity, **fields}


FIRST = track(
    "T1",
    "מי זאת 🎧",
    album={
        "name": "Σ | <B-sides>",
        "label": "Sony Music Labels Inc.",
        "images": [
            {"url": "https://img/300", "height": 300, "width": 300},
            {"url": "https://img/640", "height": 640, "width": 640},
            {"url": "https://img/64", "height": 64, "width": 64},
        ],
    },
    artists=[{"id": "A1", "name": "Anna Zak"}, {"id": "A2", "name": "\u200fRTL Artist"}],
    external_ids={"isrc": "ILB551800001"},
    external_urls={"spotify": "https://open.spotify.com/track/T1"},
)
SECOND = track("T2", "No extras", album={"images": []})  # no label, no art, no isrc, no link
FOURTH = track("T4", "Explicit one", explicit=True)
LOCAL = {**track(None, "Garage Demo"), "is_local": True, "uri": "spotify:local:Me::Garage+Demo:201"}
EPISODE = {"id": "E1", "name": "Podcast", "type": "episode", "duration_ms": 1_000_000}

PLAYLIST_DOCUMENTS = {
    f"{API_ROOT}/playlists/PL1": {
        "id": "PL1",
        "name": "Mixed | bag",
        "snapshot_id": "snap-1",
        "owner": {"id": "ann", "display_name": "Ann"},
        "items": {"href": ITEMS_URL, "total": 12},
    },
    f"{ITEMS_URL}?limit=50": {
        "items": [
            item(FIRST, "2024-01-01T00:00:00Z"),
            {**item(LOCAL), "is_local": True},
            item(EPISODE),
            item(None),
            {"added_at": "2024-01-05T00:00:00Z", "is_local": False, "track": SECOND},  # 'track' only: older payload
        ],
        "next": f"{ITEMS_URL}?offset=5&limit=4",
    },
    f"{ITEMS_URL}?offset=5&limit=4": {
        "items": [
            item(track(None, "Withdrawn")),
            item(track("T3", "Not playable here", is_playable=False)),
            item(FIRST, "2024-02-01T00:00:00Z"),
            item(FOURTH, "2024-01-09T00:00:00Z"),
        ],
        "next": f"{ITEMS_URL}?offset=9&limit=4",
    },
    f"{ITEMS_URL}?offset=9&limit=4": {
        "items": [
            {**item(LOCAL), "is_local": False},  # local only according to the track object
            item(SECOND),
            item({**track("T5", "Episode without additional_types"), "episode": True}),
        ],
        "next": None,
    },
}


def test_fetch_playlist_rows_and_skipped_counts():
    result = fetch_playlist(serve(PLAYLIST_DOCUMENTS), "PL1")

    assert result.playlist.id == "PL1"
    assert result.playlist.name == "Mixed | bag"
    assert result.playlist.snapshot_id == "snap-1"
    assert result.playlist.owner == "Ann"
    assert result.playlist.total_items == 12
    assert result.skipped == {"local file": 2, "episode": 2, "unavailable": 2, "empty item": 1, "duplicate": 2}
    assert list(result.skipped) == list(SKIP_REASONS)  # counted under the model's names, in its order
    tracks = result.tracks
    assert list(tracks.columns) == list(TRACK_COLUMNS)
    assert tracks.index.name == "track_id"
    assert list(tracks.index) == ["T1", "T2", "T4"]
    assert tracks.loc["T1"].to_dict() == {
        "name": "מי זאת 🎧",
        "album": "Σ | <B-sides>",
        "album_art_url": "https://img/640",
        "artists": ("Anna Zak", "\u200fRTL Artist"),
        "artist_ids": ("A1", "A2"),
        "label": "Sony Music Labels Inc.",
        "release_date": "2019-05-17",
        "duration_ms": 200_000,
        "explicit": False,
        "isrc": "ILB551800001",
        "added_at": "2024-01-01T00:00:00Z",  # the first occurrence's
        "position": 0,
        "url": "https://open.spotify.com/track/T1",
    }
    second = tracks.loc["T2"]
    assert (second["album_art_url"], second["label"], second["isrc"], second["url"]) == ("", "", "", "")
    assert second["added_at"] == "2024-01-05T00:00:00Z"
    assert list(tracks["position"]) == [0, 4, 8]
    assert list(tracks["explicit"]) == [False, False, True]
    assert tracks.loc["T4", "album_art_url"] == ""  # album without an 'images' key


def test_track_frame_dtypes_are_the_same_when_empty():
    full = fetch_playlist(serve(PLAYLIST_DOCUMENTS), "PL1").tracks
    documents = {
        f"{API_ROOT}/playlists/PL0": {"id": "PL0", "name": "Nothing", "snapshot_id": "s0", "owner": {"id": "ann"}},
        f"{API_ROOT}/playlists/PL0/items?limit=50": {"items": [item(None), item(EPISODE)], "next": None},
    }
    result = fetch_playlist(serve(documents), "PL0")

    assert result.tracks.empty
    assert list(result.tracks.columns) == list(TRACK_COLUMNS)
    assert result.tracks.index.name == "track_id"
    assert result.tracks.dtypes.to_dict() == full.dtypes.to_dict()
    assert full.dtypes["duration_ms"] == "int64" and full.dtypes["position"] == "int64"
    assert full.dtypes["explicit"] == bool
    assert result.skipped == {"empty item": 1, "episode": 1}
    assert result.playlist.owner == "ann"  # display_name missing: the owner's id
    assert result.playlist.total_items == 2


def test_iter_pages_follows_absolute_next_links():
    get_json = serve(PLAYLIST_DOCUMENTS)
    items = list(iter_pages(get_json, f"{ITEMS_URL}?limit=50"))

    assert len(items) == 12
    assert get_json.requested == [f"{ITEMS_URL}?limit=50", f"{ITEMS_URL}?offset=5&limit=4", f"{ITEMS_URL}?offset=9&limit=4"]


def test_iter_pages_rejects_a_page_without_items_and_a_loop():
    with pytest.raises(ValueError, match="paging object"):
        list(iter_pages(serve({"https://x/1": {"next": None}}), "https://x/1"))
    with pytest.raises(ValueError, match="loops"):
        list(iter_pages(serve({"https://x/1": {"items": [1], "next": "https://x/1"}}), "https://x/1"))


def test_list_playlists_reads_items_or_tracks_summary_across_pages():
    first_url = f"{API_ROOT}/me/playlists?limit=50"
    second_url = f"{API_ROOT}/me/playlists?offset=2&limit=2"
    owner = {"id": "ann", "display_name": "Ann"}
    documents = {
        first_url: {
            "items": [
                {"id": "P1", "name": "New", "snapshot_id": "s1", "owner": owner, "items": {"href": "h", "total": 7}},
                None,  # the API sometimes lists a null playlist
            ],
            "next": second_url,
        },
        second_url: {
            "items": [{"id": "P2", "name": "Old", "snapshot_id": "s2", "owner": owner, "tracks": {"total": 3}}],
            "next": None,
        },
    }
    playlists = list_playlists(serve(documents))

    assert [(p.id, p.name, p.snapshot_id, p.owner, p.total_items) for p in playlists] == [
        ("P1", "New", "s1", "Ann", 7),
        ("P2", "Old", "s2", "Ann", 3),
    ]


def test_malformed_documents_raise_value_error_naming_the_playlist():
    missing_name = {**PLAYLIST_DOCUMENTS, f"{API_ROOT}/playlists/PL1": {"id": "PL1", "snapshot_id": "s"}}
    with pytest.raises(ValueError, match="playlist PL1.*'name'"):
        fetch_playlist(serve(missing_name), "PL1")

    no_album = {**track("T9", "No album"), "album": None}
    broken_item = {**PLAYLIST_DOCUMENTS, f"{ITEMS_URL}?limit=50": {"items": [item(no_album)], "next": None}}
    with pytest.raises(ValueError, match="playlist PL1: item 0.*album"):
        fetch_playlist(serve(broken_item), "PL1")

    no_items = {**PLAYLIST_DOCUMENTS, f"{ITEMS_URL}?limit=50": {"tracks": []}}
    with pytest.raises(ValueError, match="PL1/items"):
        fetch_playlist(serve(no_items), "PL1")

    wrong_duration = {**PLAYLIST_DOCUMENTS, f"{ITEMS_URL}?limit=50": {
        "items": [item(track("T9", "Long", duration_ms="3:20"))], "next": None}}
    with pytest.raises(ValueError, match="playlist PL1: item 0.*duration_ms"):
        fetch_playlist(serve(wrong_duration), "PL1")


def test_liked_track_ids_skips_null_and_local_tracks():
    first_url = f"{API_ROOT}/me/tracks?limit=50"
    second_url = f"{API_ROOT}/me/tracks?offset=50&limit=50"
    documents = {
        first_url: {"items": [{"added_at": "x", "track": FIRST}, {"added_at": "x", "track": None}], "next": second_url},
        second_url: {"items": [{"added_at": "x", "track": SECOND}, {"added_at": "x", "track": LOCAL}], "next": None},
    }
    assert liked_track_ids(serve(documents)) == frozenset({"T1", "T2"})


def feature(track_id, value):
    return {"id": track_id, "type": "audio_features", "key": 5, "mode": 1,
            **{column: value for column in AUDIO_FEATURE_COLUMNS}}


def test_audio_features_batches_by_100_and_drops_null_entries():
    ids = [f"id{n:03d}" for n in range(150)]
    documents = {
        f"{API_ROOT}/audio-features?ids={','.join(ids[:100])}": {
            "audio_features": [feature(i, 0.5) for i in ids[:99]] + [None]
        },
        f"{API_ROOT}/audio-features?ids={','.join(ids[100:])}": {"audio_features": [feature(i, 120) for i in ids[100:]]},
    }
    get_json = serve(documents)
    frame = audio_features(get_json, ids + ids[:10])  # repeated ids are asked for once

    assert len(get_json.requested) == 2
    assert list(frame.index) == ids[:99] + ids[100:]
    assert frame.index.name == "track_id"
    assert list(frame.columns) == list(AUDIO_FEATURE_COLUMNS)
    assert (frame.dtypes == "float64").all()
    assert frame.loc["id000", "energy"] == 0.5 and frame.loc["id149", "tempo"] == 120.0


def test_audio_features_of_nothing_is_an_empty_frame():
    frame = audio_features(serve({}), [])
    assert frame.empty and list(frame.columns) == list(AUDIO_FEATURE_COLUMNS) and frame.index.name == "track_id"


def test_audio_features_rejects_an_entry_without_a_feature():
    url = f"{API_ROOT}/audio-features?ids=a"
    entry = {key: value for key, value in feature("a", 0.1).items() if key != "energy"}
    with pytest.raises(ValueError, match="audio-features\\?ids=a.*'energy'"):
        audio_features(serve({url: {"audio_features": [entry]}}), ["a"])

