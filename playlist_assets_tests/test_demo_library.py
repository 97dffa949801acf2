"""The bundled demo library, read through the same parsing as the live source."""

import json
import re

import pytest

from playlist_assets.sources.demo_library import (
    ALL_ALIKE,
    DEMO_OWNER,
    DEMO_PLAYLIST_NAMES,
    EMPTY,
    EVERYTHING_SHUFFLED,
    FOUR_GENRES,
    INTERNATIONAL_POP,
    ODDS_AND_ENDS,
    ODDS_AND_ENDS_SKIPPED,
    ONE_TRACK,
    SPECIAL_CHARACTERS,
    TWO_TRACKS,
    DemoLibrary,
    demo_library,
    demo_playlist_id,
)
from playlist_assets.sources.web_api import (
    API_ROOT,
    audio_features,
    fetch_playlist,
    iter_pages,
    liked_track_ids,
    list_playlists,
)

# The seed page's 30 tracks as Spotify spells them (copied from clusters_international_pop.decoded.md):
# id, name, album, artists, label, album art (640 px), hearted.
SEED_TRACKS = [
    ("3iJQ54fGO6CyP374UzvDJu", "מי זאת", "מי זאת", ("Anna Zak",), "ITModels under exclusive license to D-Music", "https://i.scdn.co/image/ab67616d0000b2731bccd0e65da477d7f815e229", True),
    ("0s8RXkQW9lwGEV6WlG8KDq", "Daisy 2.0 (feat. Hatsune Miku)", "Daisy 2.0 (feat. Hatsune Miku)", ("Ashnikko", "Hatsune Miku"), "Parlophone UK", "https://i.scdn.co/image/ab67616d0000b2735064363e1b38af783f93f1a7", False),
    ("5w9c2J52mkdntKOmRLeM2m", "Con Calma", "Con Calma", ("Daddy Yankee", "Snow"), "El Cartel Records (EC3)", "https://i.scdn.co/image/ab67616d0000b273896ffcd42561c44fea2bae7b", True),
    ("51oc6MEsXTpnPn6GOw5VuP", "きらり", "Kirari Remixes (Asia Edition)", ("Fujii Kaze",), "Universal Music LLC", "https://i.scdn.co/image/ab67616d0000b27393f551abf615209c537fb4d4", True),
    ("2WoRw2nWZoj5ty0rOQP4FQ", "Kau Adalah (feat. Rayi Putra)", "EXPLORE!", ("Isyana Sarasvati", "Rayi Putra"), "Sony Music Entertainment", "https://i.scdn.co/image/ab67616d0000b273714fc63956d45e97196c7af7", False),
    ("2hl6q70unbviGo3g1R7uFx", "Échame La Culpa", "Échame La Culpa", ("Luis Fonsi", "Demi Lovato"), "Echame La Culpa PS", "https://i.scdn.co/image/ab67616d0000b2732413b55cebef0c99396fd854", False),
    ("2BY5fNHmpjV797ByjLX4I7", "404 not found", "Σ", ("Reol",), "TOY'S FACTORY", "https://i.scdn.co/image/ab67616d0000b2737eb0b6f27578d87476a12667", True),
    ("7lvDsmTRXFE3dK4OjvRiWB", "Pasoori", "Pasoori", ("Shae Gill", "Ali Sethi"), "Giraffe Pakistan", "https://i.scdn.co/image/ab67616d0000b2733f3d35703bdcd917dad51c4f", False),
    ("4vXBW2z1uXXyMvCkDG6c5Z", "Lykke te", "Lykke te", ("Synne Vo",), "WM Norway", "https://i.scdn.co/image/ab67616d0000b2736a986d5aa5b6567ca683f653", False),
    ("7FrSronLW3WJJEVMvyRcdX", "青春修炼手册", "青春修炼手册", ("TFBOYS",), "WM Taiwan", "https://i.scdn.co/image/ab67616d0000b2733c5bfa54ae5e8312f5e0325a", False),
    ("06O3hxudc6V0BOuoCFSy71", "Tout oublier", "Brol", ("Angèle", "Roméo Elvis"), "Angèle VL Records", "https://i.scdn.co/image/ab67616d0000b2732433cb43f0f2f0f23b7c8b82", True),
    ("2D78O7w209mJvXyE5qPAzf", "No Rain, No Rainbow", "METAL RESISTANCE", ("BABYMETAL",), "Cooking Vinyl Limited", "https://i.scdn.co/image/ab67616d0000b273fb9801e0a6ddc403436b88dc", False),
    ("4kNujQGCx2ytNLfYIEIcYP", "Kagerou", "METAL GALAXY", ("BABYMETAL",), "Cooking Vinyl Limited", "https://i.scdn.co/image/ab67616d0000b2732bb4e77f30c614c2a7b67b9d", True),
    ("1cKm6kQLMhc7N3mHS238fk", "Tetap Dalam Jiwa", "EXPLORE!", ("Isyana Sarasvati",), "Sony Music Entertainment", "https://i.scdn.co/image/ab67616d0000b273714fc63956d45e97196c7af7", True),
    ("0cSkn2l67csUljEy0EEBPn", "炎", "炎", ("LiSA",), "Sony Music Labels Inc.", "https://i.scdn.co/image/ab67616d0000b273e0dc47dd1584c66ad4492094", False),
    ("6Iq3sgLVrqqZfRitLaeHkn", "Sisa Rasa", "fábula", ("Mahalini",), "Hits records", "https://i.scdn.co/image/ab67616d0000b2732f7bb02cb4b74bd7c2406428", True),
    ("7nF9c1EmRF3BNAtKDCwUAK", "Cry Baby", "Editorial", ("OFFICIAL HIGE DANDISM",), "IRORI Records", "https://i.scdn.co/image/ab67616d0000b273bbf9d502f3ce4a15b3c43f7a", False),
    ("0YAMQSmHk6BSUGTYpaoqTJ", "Wherever you are", "Niche Syndrome", ("ONE OK ROCK",), "Aer-born", "https://i.scdn.co/image/ab67616d0000b2733e4b149dd3110f1432bfeca0", False),
    ("2AwYywTNbeiWqQcLqt8UwP", "你要的愛", "怎樣", ("Penny Tai",), "Gold Typhoon Taiwan", "https://i.scdn.co/image/ab67616d0000b273ba16f5c6c4e2d873996a81a7", False),
    ("4kPlQKwtPrnqLgrmmKFSlA", "ドライフラワー", "壱", ("Yuuri",), "Sony Music Labels Inc.", "https://i.scdn.co/image/ab67616d0000b273d0bd51668da5629aa0cc77d8", True),
    ("2wxeIeofgy4AHaOhtePamJ", "Miku", "Miku", ("Anamanaguchi", "Hatsune Miku"), "Polyvinyl Records", "https://i.scdn.co/image/ab67616d0000b273d03049930583aecb52977265", False),
    ("73eCSQ1DxQbaOnzy8PhKx3", "就是愛妳", "太平盛世", ("David Tao",), "Gold Typhoon Taiwan", "https://i.scdn.co/image/ab67616d0000b273110af1ee291450d9e86a05a4", False),
    ("1oMYET9xQB8XpxwTt2c5Dz", "Non mi avete fatto niente", "Non mi avete fatto niente", ("Ermal Meta", "Fabrizio Moro"), "Mescal", "https://i.scdn.co/image/ab67616d0000b2737c89c4758b84b698f1598821", True),
    ("3atDsUhlUgDlQQrI0XFh7I", "Cara Italia", "Cara Italia", ("Ghali",), "WMI Italy", "https://i.scdn.co/image/ab67616d0000b27393aa3d384efb79e00fe57555", True),
    ("4KBegMBVyHsfC7fPOztTzV", "情非得已", "海嘯", ("Harlem Yu",), "Columbia", "https://i.scdn.co/image/ab67616d0000b2734df4e8ec1f66ebb6b63c14c2", True),
    ("39lq5gU4lPc0rYVaRo0stH", "PINK BLOOD", "PINK BLOOD", ("Hikaru Utada",), "Sony Music Labels Inc.", "https://i.scdn.co/image/ab67616d0000b27359c2f8304319dcd03eb4ead7", False),
    ("1B0BQaSRHxhI0AUlItY3LK", "MALAMENTE - Cap.1: Augurio", "El Mal Querer", ("ROSALÍA",), "Columbia", "https://i.scdn.co/image/ab67616d0000b273f4d64a6a6b7e24b6bd9f009f", True),
    ("0BD9boQC7jUTWkAoib4Z0d", "Meleğim", "Vintage", ("Soolking", "Dadju"), "Universal Music Division Capitol Music France", "https://i.scdn.co/image/ab67616d0000b273b28db1e5c8c53e67c6969c06", False),
    ("4IfrM44LofE9bSs6TDZS49", "W / X / Y", "Memories", ("Tani Yuuki",), "Valley Records", "https://i.scdn.co/image/ab67616d0000b273b5900aef5989a39a87bda771", False),
    ("7fQYRdNX6y8BpfmHvWVPm8", "恋人じゃなくなった日", "恋人じゃなくなった日", ("Yuuri",), "Sony Music Labels Inc.", "https://i.scdn.co/image/ab67616d0000b273ce1a46144fd6a2c5e2cc5872", False),
]
SEED_IDS = {row[0] for row in SEED_TRACKS}
UNIT_FEATURES = ["danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness"]


@pytest.fixture(scope="module")
def library():
    return demo_library()


@pytest.fixture(scope="module")
def playlists(library):
    """Every demo playlist, fetched as the pipeline fetches it, by name."""
    return {info.name: fetch_playlist(library.get_json, info.id) for info in list_playlists(library.get_json)}


def crawl(library: DemoLibrary) -> str:
    """Every document the library serves, as one JSON text."""
    documents = [list(iter_pages(library.get_json, f"{API_ROOT}/me/playlists?limit=50"))]
    track_ids = []
    for info in list_playlists(library.get_json):
        documents.append(library.get_json(f"{API_ROOT}/playlists/{info.id}"))
        items = list(iter_pages(library.get_json, f"{API_ROOT}/playlists/{info.id}/items?limit=50"))
        documents.append(items)
        track_ids += [item["item"]["id"] for item in items if item["item"] and item["item"]["id"]]
    documents.append(list(iter_pages(library.get_json, f"{API_ROOT}/me/tracks?limit=50")))
    unique_ids = sorted(set(track_ids))
    for start in range(0, len(unique_ids), 100):
        documents.append(library.get_json(f"{API_ROOT}/audio-features?ids={','.join(unique_ids[start:start + 100])}"))
    return json.dumps(documents, ensure_ascii=False, sort_keys=True)


def test_two_builds_serve_identical_documents(library):
    assert crawl(DemoLibrary()) == crawl(library)
    assert demo_library() is library


def test_playlists_ids_and_snapshots(library):
    infos = list_playlists(library.get_json)

    assert [info.name for info in infos] == list(DEMO_PLAYLIST_NAMES)
    assert len(infos) >= 8
    assert all(re.fullmatch("[0-9A-Za-z]{22}", info.id) for info in infos)
    assert len({info.id for info in infos}) == len(infos)
    assert len({info.snapshot_id for info in infos}) == len(infos)
    assert {info.owner for info in infos} == {DEMO_OWNER}
    assert demo_playlist_id(INTERNATIONAL_POP) == "YDlNjD1AL7JJ0qax5Jz6vU"  # ids never change between versions


def test_track_counts(playlists):
    counts = {name: len(result.tracks) for name, result in playlists.items()}

    assert counts[EMPTY] == 0
    assert counts[ONE_TRACK] == 1
    assert counts[TWO_TRACKS] == 2
    assert counts[EVERYTHING_SHUFFLED] == 1000
    assert counts[INTERNATIONAL_POP] == 99
    assert counts[ALL_ALIKE] >= 50 and counts[SPECIAL_CHARACTERS] >= 40 and counts[FOUR_GENRES] >= 40
    assert all(not result.skipped for name, result in playlists.items() if name != ODDS_AND_ENDS)
    assert list(playlists[EMPTY].tracks.columns) == list(playlists[ONE_TRACK].tracks.columns)


def test_the_big_playlist_spans_twenty_pages(library):
    url = f"{API_ROOT}/playlists/{demo_playlist_id(EVERYTHING_SHUFFLED)}/items?limit=50"
    pages = []
    while url:
        pages.append(library.get_json(url))
        url = pages[-1]["next"]

    assert len(pages) == 20
    assert [page["offset"] for page in pages] == list(range(0, 1000, 50))
    assert all(len(page["items"]) == 50 and page["total"] == 1000 for page in pages)
    assert pages[0]["previous"] is None and pages[1]["previous"] == pages[0]["href"]
    assert all(page["next"] is None or page["next"].startswith(f"{API_ROOT}/playlists/") for page in pages)


def test_odds_and_ends_gives_every_skip_reason(playlists, library):
    result = playlists[ODDS_AND_ENDS]

    assert result.skipped == ODDS_AND_ENDS_SKIPPED
    assert result.skipped == {"local file": 2, "episode": 2, "unavailable": 2, "empty item": 2, "duplicate": 2}
    assert len(result.tracks) == 30
    assert result.playlist.total_items == 40
    assert result.tracks["position"].is_unique
    items = list(iter_pages(library.get_json, f"{API_ROOT}/playlists/{result.playlist.id}/items?limit=50"))
    for track_id, position in result.tracks["position"].items():
        assert items[position]["item"]["id"] == track_id
    ids = [item["item"] and item["item"]["id"] for item in items]
    repeated = {track_id: ids.index(track_id) for track_id in ids if track_id and ids.count(track_id) > 1}
    assert len(repeated) == 2
    for track_id, first_position in repeated.items():
        assert result.tracks.loc[track_id, "position"] == first_position
    local_uris = [item["item"]["uri"] for item in items if item["is_local"]]
    assert len(local_uris) == 2 and all(uri.startswith("spotify:local:") for uri in local_uris)


def test_international_pop_holds_the_seed_tracks_as_spotify_spells_them(playlists):
    tracks = playlists[INTERNATIONAL_POP].tracks

    for track_id, name, album, artists, label, art, _hearted in SEED_TRACKS:
        row = tracks.loc[track_id]
        assert (row["name"], row["album"], row["artists"], row["label"]) == (name, album, artists, label)
        assert row["album_art_url"] == art
        assert row["url"] == f"https://open.spotify.com/track/{track_id}"


def test_liked_songs_hold_the_hearted_seed_tracks_and_invented_ones(library, playlists):
    liked = liked_track_ids(library.get_json)

    assert {row[0] for row in SEED_TRACKS if row[6]} <= liked
    assert not {row[0] for row in SEED_TRACKS if not row[6]} & liked
    invented_liked_by_playlist = {
        name: len((set(result.tracks.index) - SEED_IDS) & liked) for name, result in playlists.items()
    }
    assert sum(count > 0 for count in invented_liked_by_playlist.values()) >= 4
    assert len(liked) > 50  # more than one page of 50


def test_invented_tracks_have_no_link_and_no_image(playlists):
    for result in playlists.values():
        invented = result.tracks.drop(index=SEED_IDS, errors="ignore")
        assert (invented["url"] == "").all()
        assert (invented["album_art_url"] == "").all()
        assert (invented["label"] != "").all()


def test_audio_features_exist_for_every_playable_track(library, playlists):
    all_ids = sorted({track_id for result in playlists.values() for track_id in result.tracks.index})
    features = audio_features(library.get_json, all_ids)

    assert sorted(features.index) == all_ids
    assert features[UNIT_FEATURES].ge(0).all().all() and features[UNIT_FEATURES].le(1).all().all()
    assert features["loudness"].lt(0).all() and features["tempo"].between(50, 220).all()
    raw = library.get_json(f"{API_ROOT}/audio-features?ids={all_ids[0]},unknownid")["audio_features"]
    assert raw[1] is None
    assert {"key", "mode", "time_signature", "duration_ms", "type", "id", "uri", "track_href", "analysis_url"} <= set(
        raw[0]
    )


def test_features_follow_genres(library, playlists):
    """Tracks of one genre vary less than tracks of four genres, so clusters mean something."""

    def spread(name):
        features = audio_features(library.get_json, playlists[name].tracks.index)
        return features[UNIT_FEATURES].std().mean()

    assert spread(ALL_ALIKE) < 0.6 * spread(FOUR_GENRES)


def test_special_characters_survive(playlists):
    result = playlists[SPECIAL_CHARACTERS]
    text = " ".join(result.tracks["name"]) + " ".join(result.tracks["album"]) + " ".join(
        artist for artists in result.tracks["artists"] for artist in artists
    )

    assert result.playlist.name == "Pipes | <Brackets> [& Emoji] 🎧🔥`"
    for character in ["|", "<", ">", "[", "]", "`", "🎧", "\u200f", "*", "_", "\\"]:
        assert character in text


def test_unknown_urls_and_bad_parameters(library):
    with pytest.raises(LookupError, match="playlists/nope"):
        library.get_json(f"{API_ROOT}/playlists/nope")
    with pytest.raises(LookupError, match="/me/albums"):
        library.get_json(f"{API_ROOT}/me/albums")
    with pytest.raises(LookupError, match="example.com"):
        library.get_json("https://example.com/v1/me/playlists")
    with pytest.raises(ValueError, match="limit"):
        library.get_json(f"{API_ROOT}/me/tracks?limit=51")
    with pytest.raises(ValueError, match="ids"):
        library.get_json(f"{API_ROOT}/audio-features?ids={','.join(['x'] * 101)}")
    past_the_end = library.get_json(f"{API_ROOT}/playlists/{demo_playlist_id(TWO_TRACKS)}/items?offset=5&limit=50")
    assert past_the_end["items"] == [] and past_the_end["next"] is None and past_the_end["total"] == 2


def test_documents_are_fresh_copies(library):
    url = f"{API_ROOT}/playlists/{demo_playlist_id(ONE_TRACK)}/items?limit=50"
    library.get_json(url)["items"][0]["item"]["name"] = "changed"
    assert library.get_json(url)["items"][0]["item"]["name"] != "changed"
