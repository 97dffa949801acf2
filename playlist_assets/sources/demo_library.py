"""The bundled demo library: a Spotify account served from memory, in the JSON shapes the Web API returns today.

Built by code (no data files, no network, no credentials) and deterministic: every build gives the same bytes.
"International Pop" holds the 30 real tracks of the seed page (real ids, names, albums, artists, labels, album art)
among invented ones; invented tracks have no album images and no ``external_urls``, so nothing rendered from them can
point at something that does not exist. Audio features are synthetic, drawn per track from its genre's distribution
with a seed taken from the track id, so a track has the same features in every playlist.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from playlist_assets.partitions import base62_id
from playlist_assets.sources.web_api import API_ROOT, AUDIO_FEATURES_BATCH, PAGE_LIMIT

DEMO_FEATURE_SOURCE = "demo (synthetic)"
DEMO_OWNER = "Demo User"

INTERNATIONAL_POP = "International Pop"  # 99 tracks: the 30 seed tracks and 69 invented ones
FOUR_GENRES = "Four Corners"  # 80 tracks, 20 from each of four far-apart genres
ALL_ALIKE = "Lo-Fi Loop"  # 60 tracks of one genre: no natural clusters
SPECIAL_CHARACTERS = "Pipes | <Brackets> [& Emoji] 🎧🔥`"  # 40 tracks named with markdown/HTML metacharacters
ODDS_AND_ENDS = "Odds & Ends"  # 30 tracks among local files, episodes, null items, unavailable tracks, duplicates
EVERYTHING_SHUFFLED = "Everything Shuffled"  # 1,000 tracks of every genre (20 pages of 50)
TWO_TRACKS = "Two Tracks"  # one seed track and one invented track
ONE_TRACK = "One Track"
EMPTY = "Empty Playlist"

#: The demo playlists' names, in the order ``/me/playlists`` lists them.
DEMO_PLAYLIST_NAMES = (
    INTERNATIONAL_POP,
    FOUR_GENRES,
    ALL_ALIKE,
    SPECIAL_CHARACTERS,
    ODDS_AND_ENDS,
    EVERYTHING_SHUFFLED,
    TWO_TRACKS,
    ONE_TRACK,
    EMPTY,
)

#: What ``fetch_playlist`` leaves out of ODDS_AND_ENDS, by reason.
ODDS_AND_ENDS_SKIPPED = {"local file": 2, "episode": 2, "unavailable": 2, "empty item": 2, "duplicate": 2}

_OWNER_ID = "demo-user"
_DEFAULT_LIMIT = 20
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class _Genre(NamedTuple):
    """Mean audio features of a genre (unit-interval features, tempo in BPM, loudness in dB) and its naming style."""

    danceability: float
    energy: float
    valence: float
    acousticness: float
    instrumentalness: float
    speechiness: float
    liveness: float
    tempo: float
    loudness: float
    language: str


_UNIT_FEATURES = ("danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness", "liveness")

# fmt: off
_GENRES = {
    "rock/metal":        _Genre(0.42, 0.93, 0.38, 0.02, 0.06, 0.09, 0.22, 152, -4.0, "english"),
    "latin urban":       _Genre(0.80, 0.76, 0.70, 0.12, 0.01, 0.11, 0.12, 96, -4.5, "spanish"),
    "mandopop ballad":   _Genre(0.42, 0.34, 0.24, 0.72, 0.01, 0.03, 0.11, 72, -9.0, "chinese"),
    "pop ballad":        _Genre(0.48, 0.40, 0.28, 0.58, 0.01, 0.04, 0.12, 80, -7.5, "english"),
    "j-pop":             _Genre(0.60, 0.78, 0.62, 0.15, 0.01, 0.05, 0.16, 132, -5.0, "japanese"),
    "dance pop":         _Genre(0.74, 0.76, 0.66, 0.10, 0.01, 0.06, 0.13, 120, -5.0, "english"),
    "electropop":        _Genre(0.68, 0.82, 0.48, 0.05, 0.12, 0.10, 0.18, 128, -5.5, "english"),
    "electronic":        _Genre(0.70, 0.80, 0.36, 0.03, 0.78, 0.05, 0.14, 125, -6.5, "english"),
    "hip hop":           _Genre(0.80, 0.62, 0.50, 0.14, 0.01, 0.30, 0.15, 92, -6.0, "english"),
    "indie pop":         _Genre(0.56, 0.55, 0.50, 0.36, 0.05, 0.04, 0.12, 112, -7.0, "english"),
    "world folk":        _Genre(0.55, 0.48, 0.56, 0.62, 0.04, 0.05, 0.20, 100, -8.5, "english"),
    "ambient/classical": _Genre(0.24, 0.12, 0.14, 0.92, 0.88, 0.04, 0.10, 78, -21.0, "english"),
    "lo-fi":             _Genre(0.66, 0.34, 0.46, 0.56, 0.82, 0.08, 0.11, 84, -11.5, "english"),
}

class _Seed(NamedTuple):
    """One of the seed page's real tracks."""

    id: str
    name: str
    album: str
    artists: tuple[str, ...]
    label: str
    art: str  # the 640 px cover is https://i.scdn.co/image/ab67616d0000b273<art>
    liked: bool  # hearted on the seed page
    genre: str  # for the synthetic features only
    year: int  # approximate: the seed page gives no release date


# The seed page's 30 tracks, spelled as Spotify spells them.
_SEED_TRACKS = tuple(_Seed(*row) for row in (
    ("3iJQ54fGO6CyP374UzvDJu", "מי זאת", "מי זאת", ("Anna Zak",), "ITModels under exclusive license to D-Music", "1bccd0e65da477d7f815e229", True, "dance pop", 2018),
    ("0s8RXkQW9lwGEV6WlG8KDq", "Daisy 2.0 (feat. Hatsune Miku)", "Daisy 2.0 (feat. Hatsune Miku)", ("Ashnikko", "Hatsune Miku"), "Parlophone UK", "5064363e1b38af783f93f1a7", False, "electropop", 2023),
    ("5w9c2J52mkdntKOmRLeM2m", "Con Calma", "Con Calma", ("Daddy Yankee", "Snow"), "El Cartel Records (EC3)", "896ffcd42561c44fea2bae7b", True, "latin urban", 2019),
    ("51oc6MEsXTpnPn6GOw5VuP", "きらり", "Kirari Remixes (Asia Edition)", ("Fujii Kaze",), "Universal Music LLC", "93f551abf615209c537fb4d4", True, "j-pop", 2021),
    ("2WoRw2nWZoj5ty0rOQP4FQ", "Kau Adalah (feat. Rayi Putra)", "EXPLORE!", ("Isyana Sarasvati", "Rayi Putra"), "Sony Music Entertainment", "714fc63956d45e97196c7af7", False, "pop ballad", 2015),
    ("2hl6q70unbviGo3g1R7uFx", "Échame La Culpa", "Échame La Culpa", ("Luis Fonsi", "Demi Lovato"), "Echame La Culpa PS", "2413b55cebef0c99396fd854", False, "latin urban", 2017),
    ("2BY5fNHmpjV797ByjLX4I7", "404 not found", "Σ", ("Reol",), "TOY'S FACTORY", "7eb0b6f27578d87476a12667", True, "electropop", 2018),
    ("7lvDsmTRXFE3dK4OjvRiWB", "Pasoori", "Pasoori", ("Shae Gill", "Ali Sethi"), "Giraffe Pakistan", "3f3d35703bdcd917dad51c4f", False, "world folk", 2022),
    ("4vXBW2z1uXXyMvCkDG6c5Z", "Lykke te", "Lykke te", ("Synne Vo",), "WM Norway", "6a986d5aa5b6567ca683f653", False, "indie pop", 2022),
    ("7FrSronLW3WJJEVMvyRcdX", "青春修炼手册", "青春修炼手册", ("TFBOYS",), "WM Taiwan", "3c5bfa54ae5e8312f5e0325a", False, "dance pop", 2014),
    ("06O3hxudc6V0BOuoCFSy71", "Tout oublier", "Brol", ("Angèle", "Roméo Elvis"), "Angèle VL Records", "2433cb43f0f2f0f23b7c8b82", True, "dance pop", 2018),
    ("2D78O7w209mJvXyE5qPAzf", "No Rain, No Rainbow", "METAL RESISTANCE", ("BABYMETAL",), "Cooking Vinyl Limited", "fb9801e0a6ddc403436b88dc", False, "rock/metal", 2016),
    ("4kNujQGCx2ytNLfYIEIcYP", "Kagerou", "METAL GALAXY", ("BABYMETAL",), "Cooking Vinyl Limited", "2bb4e77f30c614c2a7b67b9d", True, "rock/metal", 2019),
    ("1cKm6kQLMhc7N3mHS238fk", "Tetap Dalam Jiwa", "EXPLORE!", ("Isyana Sarasvati",), "Sony Music Entertainment", "714fc63956d45e97196c7af7", True, "pop ballad", 2015),
    ("0cSkn2l67csUljEy0EEBPn", "炎", "炎", ("LiSA",), "Sony Music Labels Inc.", "e0dc47dd1584c66ad4492094", False, "pop ballad", 2020),
    ("6Iq3sgLVrqqZfRitLaeHkn", "Sisa Rasa", "fábula", ("Mahalini",), "Hits records", "2f7bb02cb4b74bd7c2406428", True, "pop ballad", 2021),
    ("7nF9c1EmRF3BNAtKDCwUAK", "Cry Baby", "Editorial", ("OFFICIAL HIGE DANDISM",), "IRORI Records", "bbf9d502f3ce4a15b3c43f7a", False, "j-pop", 2021),
    ("0YAMQSmHk6BSUGTYpaoqTJ", "Wherever you are", "Niche Syndrome", ("ONE OK ROCK",), "Aer-born", "3e4b149dd3110f1432bfeca0", False, "rock/metal", 2010),
    ("2AwYywTNbeiWqQcLqt8UwP", "你要的愛", "怎樣", ("Penny Tai",), "Gold Typhoon Taiwan", "ba16f5c6c4e2d873996a81a7", False, "mandopop ballad", 2002),
    ("4kPlQKwtPrnqLgrmmKFSlA", "ドライフラワー", "壱", ("Yuuri",), "Sony Music Labels Inc.", "d0bd51668da5629aa0cc77d8", True, "pop ballad", 2021),
    ("2wxeIeofgy4AHaOhtePamJ", "Miku", "Miku", ("Anamanaguchi", "Hatsune Miku"), "Polyvinyl Records", "d03049930583aecb52977265", False, "electropop", 2016),
    ("73eCSQ1DxQbaOnzy8PhKx3", "就是愛妳", "太平盛世", ("David Tao",), "Gold Typhoon Taiwan", "110af1ee291450d9e86a05a4", False, "mandopop ballad", 2005),
    ("1oMYET9xQB8XpxwTt2c5Dz", "Non mi avete fatto niente", "Non mi avete fatto niente", ("Ermal Meta", "Fabrizio Moro"), "Mescal", "7c89c4758b84b698f1598821", True, "indie pop", 2018),
    ("3atDsUhlUgDlQQrI0XFh7I", "Cara Italia", "Cara Italia", ("Ghali",), "WMI Italy", "93aa3d384efb79e00fe57555", True, "hip hop", 2018),
    ("4KBegMBVyHsfC7fPOztTzV", "情非得已", "海嘯", ("Harlem Yu",), "Columbia", "4df4e8ec1f66ebb6b63c14c2", True, "mandopop ballad", 2001),
    ("39lq5gU4lPc0rYVaRo0stH", "PINK BLOOD", "PINK BLOOD", ("Hikaru Utada",), "Sony Music Labels Inc.", "59c2f8304319dcd03eb4ead7", False, "j-pop", 2021),
    ("1B0BQaSRHxhI0AUlItY3LK", "MALAMENTE - Cap.1: Augurio", "El Mal Querer", ("ROSALÍA",), "Columbia", "f4d64a6a6b7e24b6bd9f009f", True, "latin urban", 2018),
    ("0BD9boQC7jUTWkAoib4Z0d", "Meleğim", "Vintage", ("Soolking", "Dadju"), "Universal Music Division Capitol Music France", "b28db1e5c8c53e67c6969c06", False, "hip hop", 2020),
    ("4IfrM44LofE9bSs6TDZS49", "W / X / Y", "Memories", ("Tani Yuuki",), "Valley Records", "b5900aef5989a39a87bda771", False, "j-pop", 2021),
    ("7fQYRdNX6y8BpfmHvWVPm8", "恋人じゃなくなった日", "恋人じゃなくなった日", ("Yuuri",), "Sony Music Labels Inc.", "ce1a46144fd6a2c5e2cc5872", False, "pop ballad", 2022),
))

# Word lists the invented names are drawn from, per naming style.
_WORDS = {
    "english": {
        "first": ("Mara", "Jonah", "Elise", "Theo", "Nina", "Felix", "Ivy", "Oscar", "Lena", "Milo", "Ruby", "Caleb"),
        "last": ("Hart", "Vale", "Okafor", "Lindqvist", "Moreau", "Castell", "Reyes", "Whitlock", "Brandt", "Quinn"),
        "adjective": ("Neon", "Velvet", "Paper", "Silver", "Midnight", "Golden", "Quiet", "Electric", "Hollow",
                      "Crimson", "Lonely", "Wild", "Distant", "Sweet", "Fading", "Frozen", "Secret", "Endless",
                      "Northern", "Slow"),
        "noun": ("Harbour", "Satellites", "Gardens", "Rain", "Echoes", "Mirrors", "Highway", "Letters", "Horizon",
                 "Lanterns", "Tides", "Skyline", "Fever", "Ghosts", "Rivers", "Streetlights", "Heartbeat", "Dreams",
                 "Shadows", "Signals", "Oceans", "Fireworks", "Postcards", "Windows"),
        "label": ("Paper Lantern Records", "Northbound Music", "Glasshouse Recordings", "Tidewater Records",
                  "Little Comet Music", "Halfmoon Sound", "Copperleaf Records", "Blue Hour Audio"),
    },
    "spanish": {
        "first": ("Mateo", "Lucía", "Valentina", "Diego", "Camila", "Santiago", "Sofía", "Alejandro"),
        "last": ("Rivera", "Ortega", "Vargas", "Cruz", "Mendoza", "Navarro", "Salazar", "Ríos"),
        "noun": ("Noche", "Luna", "Playa", "Fiesta", "Calle", "Piel", "Mirada", "Ciudad"),
        "tail": ("de Verano", "Sin Fin", "Contigo", "de Fuego", "Bonita", "Prohibida", "Eterna", "Caliente"),
        "label": ("Casa Luna Records", "Ritmo Sur Music", "Palmera Discos"),
    },
    "japanese": {
        "first": ("Haruka", "Sora", "Ren", "Aoi", "Yuki", "Hina", "Kaito", "Mio"),
        "last": ("Mori", "Takeda", "Ishikawa", "Hoshino", "Aoyama", "Kurosawa", "Fujita", "Nagai"),
        "noun": ("夜空", "花火", "青春", "月明かり", "桜", "雨上がり", "真夏", "星屑"),
        "tail": ("メロディー", "約束", "サイン", "魔法", "記憶", "ダンス", "手紙", "旅路"),
        "label": ("Hoshizora Records", "Sakurazaka Music", "Kumo Label"),
    },
    "chinese": {
        "first": ("雨婷", "子豪", "思妤", "家豪", "靜怡", "冠宇", "宥嘉", "書瑋"),
        "last": ("林", "陳", "周", "王", "張", "蔡", "吳", "黃"),
        "noun": ("月光", "雨天", "夏天", "星空", "城市", "海邊", "午夜", "時光"),
        "tail": ("約定", "回憶", "秘密", "告白", "旋律", "眼淚", "思念", "溫柔"),
        "label": ("Jade Harbour Music", "Formosa Lights Records"),
    },
}

_ENGLISH_TITLES = ("{a} {n}", "{a} {n}", "{a} {n}", "{n} of {m}", "The {a} {n}", "{a} {n} - Single Version",
                   "{a} {n} - Radio Edit")

# Decorations for SPECIAL_CHARACTERS: every markdown/HTML metacharacter a renderer must escape, and emoji.
_TRACK_DECORATIONS = ("{} | Pipe Mix", "<{}>", "[{}] (Live)", "`{}`", "{} 🎧🔥", "{} *Remastered*", "{} <3",
                      "{} _Extended_", "{} \\ Back\\slash", "{} [feat. <Nobody>]", "{} &amp; More", "# {}",
                      "{} 👩‍🎤", "\u200f{}\u200f")
_ARTIST_DECORATIONS = ("DJ <{}>", "{} | The Pipes", "[{}]", "`{}`", "{} 🔥", "{} & Friends", "_{}_")
_ALBUM_DECORATIONS = ("[{}] Deluxe", "{} | Side B", "<{}>", "{} `2024` 🎧", "{} ] [", "**{}**")
# fmt: on


class _Track(NamedTuple):
    """A track object as the Web API returns it, and the genre its synthetic features are drawn from."""

    json: dict
    genre: str


def demo_playlist_id(name: str) -> str:
    """The id of the demo playlist called ``name``."""
    return base62_id(f"playlist:{name}")


class DemoLibrary:
    """The demo account, answering ``get_json(url)`` for the Web API URLs the sources read."""

    def __init__(self) -> None:
        self._playlists = _build_playlists()
        self._by_id = {playlist["id"]: playlist for playlist in self._playlists}
        self._liked = _liked_items(self._playlists)
        self._features = {
            track.json["id"]: _features(track) for playlist in self._playlists for track in playlist["tracks"]
        }

    def get_json(self, url: str) -> dict:
        """The JSON document at ``url`` (a fresh copy).

        Raises ``LookupError`` for an unknown URL or id (a 404) and ``ValueError`` for a bad parameter (a 400).
        Unknown query parameters are ignored, as the API does.
        """
        parts = urlsplit(url)
        root = urlsplit(API_ROOT)
        if (parts.scheme, parts.netloc) != (root.scheme, root.netloc) or not parts.path.startswith(root.path + "/"):
            raise LookupError(f"no demo resource at {url}")
        query = parse_qs(parts.query)
        path = parts.path[len(root.path) :].strip("/").split("/")
        base = f"{API_ROOT}/{'/'.join(path)}"
        match path:
            case ["me", "playlists"]:
                summaries = [_playlist_summary(playlist) for playlist in self._playlists]
                return _page(base, summaries, query, url)
            case ["me", "tracks"]:
                return _page(base, self._liked, query, url)
            case ["playlists", playlist_id]:
                return copy.deepcopy(_full_playlist(self._playlist(playlist_id, url)))
            case ["playlists", playlist_id, "items"]:
                return _page(base, self._playlist(playlist_id, url)["items"], query, url)
            case ["audio-features"]:
                return {"audio_features": [copy.deepcopy(self._features.get(i)) for i in _ids(query, url)]}
        raise LookupError(f"no demo resource at {url}")

    def _playlist(self, playlist_id: str, url: str) -> dict:
        if playlist_id not in self._by_id:
            raise LookupError(f"no demo playlist {playlist_id} ({url})")
        return self._by_id[playlist_id]


@functools.cache
def demo_library() -> DemoLibrary:
    """The demo library, built once per process."""
    return DemoLibrary()


# --- serving ---------------------------------------------------------------------------------------------------


def _page(base: str, items: list, query: dict, url: str) -> dict:
    """The paging object of ``items`` for the ``offset``/``limit`` in ``query``, with absolute links."""
    offset = _int_parameter(query, "offset", 0, url)
    limit = _int_parameter(query, "limit", _DEFAULT_LIMIT, url)
    if offset < 0 or not 1 <= limit <= PAGE_LIMIT:
        raise ValueError(f"{url}: offset must be >= 0 and limit in 1..{PAGE_LIMIT}")

    def link(start: int) -> str:
        return f"{base}?offset={start}&limit={limit}"

    return {
        "href": link(offset),
        "items": copy.deepcopy(items[offset : offset + limit]),
        "limit": limit,
        "next": link(offset + limit) if offset + limit < len(items) else None,
        "offset": offset,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total": len(items),
    }


def _int_parameter(query: dict, name: str, default: int, url: str) -> int:
    value = query.get(name, [""])[-1]
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{url}: {name} is not a non-negative integer")
    return int(value)


def _ids(query: dict, url: str) -> list[str]:
    ids = [i for i in query.get("ids", [""])[-1].split(",") if i]
    if not 1 <= len(ids) <= AUDIO_FEATURES_BATCH:
        raise ValueError(f"{url}: ids must list 1..{AUDIO_FEATURES_BATCH} track ids")
    return ids


def _user() -> dict:
    return {
        "display_name": DEMO_OWNER,
        "href": f"{API_ROOT}/users/{_OWNER_ID}",
        "id": _OWNER_ID,
        "type": "user",
        "uri": f"spotify:user:{_OWNER_ID}",
    }


def _playlist_summary(playlist: dict) -> dict:
    """The simplified playlist object of ``/me/playlists`` (2026: an ``items`` summary, no ``tracks``)."""
    return {
        "collaborative": False,
        "description": playlist["description"],
        "href": f"{API_ROOT}/playlists/{playlist['id']}",
        "id": playlist["id"],
        "images": [],
        "items": {"href": f"{API_ROOT}/playlists/{playlist['id']}/items", "total": len(playlist["items"])},
        "name": playlist["name"],
        "owner": _user(),
        "public": False,
        "snapshot_id": playlist["snapshot_id"],
        "type": "playlist",
        "uri": f"spotify:playlist:{playlist['id']}",
    }


def _full_playlist(playlist: dict) -> dict:
    """The playlist object of ``/playlists/{id}``, its ``items`` holding the first page of items."""
    base = f"{API_ROOT}/playlists/{playlist['id']}/items"
    return {
        **_playlist_summary(playlist),
        "followers": {"href": None, "total": 0},
        "items": _page(base, playlist["items"], {"limit": [str(PAGE_LIMIT)]}, base),
    }


# --- content ---------------------------------------------------------------------------------------------------


def _build_playlists() -> list[dict]:
    """The demo playlists in ``DEMO_PLAYLIST_NAMES`` order: id, name, description, snapshot_id, items, tracks."""
    seeds = [_seed_track(seed) for seed in _SEED_TRACKS]
    genre_names = sorted(_GENRES)
    international = seeds + _invent_tracks(INTERNATIONAL_POP, _genre_mix({
        "dance pop": 14, "j-pop": 12, "latin urban": 10, "pop ballad": 10, "mandopop ballad": 8,
        "rock/metal": 7, "hip hop": 4, "electropop": 4,
    }))
    _rng(f"order:{INTERNATIONAL_POP}").shuffle(international)
    four = _invent_tracks(FOUR_GENRES, _genre_mix(
        {"rock/metal": 20, "ambient/classical": 20, "hip hop": 20, "mandopop ballad": 20}
    ))
    _rng(f"order:{FOUR_GENRES}").shuffle(four)
    alike = _invent_tracks(ALL_ALIKE, ["lo-fi"] * 60)
    special = _special_tracks(_invent_tracks(SPECIAL_CHARACTERS, _genre_mix(
        {"electropop": 14, "pop ballad": 13, "rock/metal": 13}
    )))
    odds_items, odds_tracks = _odds_and_ends()
    dry_flower = next(track for track in seeds if track.json["name"] == "ドライフラワー")
    smaller = [alike, special, odds_tracks, international, four]
    already = list({track.json["id"]: track for tracks in smaller for track in tracks}.values())
    fresh_rng = _rng(f"genres:{EVERYTHING_SHUFFLED}")
    everything = already + _invent_tracks(
        EVERYTHING_SHUFFLED, [fresh_rng.choice(genre_names) for _ in range(1000 - len(already))]
    )
    _rng(f"order:{EVERYTHING_SHUFFLED}").shuffle(everything)
    contents = {
        INTERNATIONAL_POP: ("Pop from everywhere: the seed page's 30 tracks among invented ones.", international),
        FOUR_GENRES: ("Metal, ambient, hip hop and Mandopop ballads: four clusters anyone can hear.", four),
        ALL_ALIKE: ("Sixty lo-fi loops that all sound alike.", alike),
        SPECIAL_CHARACTERS: ("Names full of | < > [ ] ` and emoji.", special),
        EVERYTHING_SHUFFLED: ("A thousand tracks of every genre.", everything),
        TWO_TRACKS: ("Two tracks.", [dry_flower] + _invent_tracks(TWO_TRACKS, ["indie pop"])),
        ONE_TRACK: ("A single track.", _invent_tracks(ONE_TRACK, ["dance pop"])),
        EMPTY: ("Nothing here yet.", []),
    }
    playlists = []
    for name in DEMO_PLAYLIST_NAMES:
        if name == ODDS_AND_ENDS:
            description, tracks, items = "Local files, podcast episodes, gaps and repeats.", odds_tracks, odds_items
        else:
            description, tracks = contents[name]
            items = _items(name, [track.json for track in tracks])
        playlists.append(_playlist(name, description, items, tracks))
    return playlists


def _playlist(name: str, description: str, items: list[dict], tracks: list[_Track]) -> dict:
    """A demo playlist: its items as served, its playable tracks, and a snapshot id derived from its content."""
    content = json.dumps([name, description, items], sort_keys=True, ensure_ascii=False).encode()
    snapshot = base64.b64encode(f"{len(items)},{hashlib.sha1(content).hexdigest()}".encode()).decode()
    return {"id": demo_playlist_id(name), "name": name, "description": description, "snapshot_id": snapshot,
            "items": items, "tracks": tracks}


def _items(playlist_name: str, entities: Sequence[dict | None]) -> list[dict]:
    """Playlist items (``item`` and its deprecated alias ``track``) added one after another by the demo user."""
    rng = _rng(f"added:{playlist_name}")
    added = datetime(2019, 1, 1) + timedelta(days=rng.randrange(1000))
    adder = {key: value for key, value in _user().items() if key != "display_name"}
    items = []
    for entity in entities:
        added += timedelta(hours=rng.randrange(1, 400), seconds=rng.randrange(3600))
        is_local = bool(entity and entity.get("is_local"))
        items.append({"added_at": added.strftime(_TIME_FORMAT), "added_by": adder, "is_local": is_local,
                      "item": entity, "track": entity})
    return items


def _odds_and_ends() -> tuple[list[dict], list[_Track]]:
    """ODDS_AND_ENDS: its items and its 30 playable tracks, among which 2 local files, 2 episodes, 2 null items,
    2 unavailable tracks (one not playable, one without id) and 2 repeats of earlier tracks."""
    tracks = _invent_tracks(ODDS_AND_ENDS, _genre_mix({"indie pop": 10, "world folk": 10, "dance pop": 12}))
    playable = [track.json for track in tracks[:30]]
    unplayable = {**tracks[30].json, "is_playable": False}
    vanished = {**tracks[31].json, "id": None, "uri": None, "href": None}
    layout = [
        *playable[:10], _local_file("Garage Demo", "Me", "Bootlegs", 201_000), *playable[10:15],
        _episode("Ep. 12: Why Songs Get Stuck in Your Head", 2_710_000), None, *playable[15:20], vanished,
        playable[2], *playable[20:25], _local_file("Voice Memo 3", "Unknown Artist", "", 64_000),
        _episode("Ep. 13: Liner Notes", 1_984_000), *playable[25:30], None, unplayable, playable[12],
    ]
    return _items(ODDS_AND_ENDS, layout), tracks[:30]


def _local_file(name: str, artist: str, album: str, duration_ms: int) -> dict:
    """A local file as the API lists it: no ids, a ``spotify:local:`` URI."""
    parts = (artist, album, name, str(duration_ms // 1000))
    uri = "spotify:local:" + ":".join(part.replace(" ", "+") for part in parts)
    return {
        "album": {"album_type": None, "artists": [], "href": None, "id": None, "images": [], "name": album,
                  "release_date": None, "release_date_precision": None, "type": "album", "uri": None},
        "artists": [{"href": None, "id": None, "name": artist, "type": "artist", "uri": None}],
        "disc_number": 0, "duration_ms": duration_ms, "explicit": False, "external_ids": {}, "external_urls": {},
        "href": None, "id": None, "is_local": True, "name": name, "track_number": 0, "type": "track", "uri": uri,
    }


def _episode(name: str, duration_ms: int) -> dict:
    """A podcast episode of an invented show (no images, no links)."""
    episode_id, show_id = base62_id(f"episode:{name}"), base62_id("show:Demo Sessions")
    show = {"href": f"{API_ROOT}/shows/{show_id}", "id": show_id, "images": [], "name": "Demo Sessions",
            "publisher": "Demo Podcasts", "type": "show", "uri": f"spotify:show:{show_id}"}
    return {
        "description": "An invented episode.", "duration_ms": duration_ms, "explicit": False,
        "href": f"{API_ROOT}/episodes/{episode_id}", "id": episode_id, "images": [], "is_local": False,
        "name": name, "release_date": "2024-03-01", "release_date_precision": "day", "show": show,
        "type": "episode", "uri": f"spotify:episode:{episode_id}",
    }


def _liked_items(playlists: list[dict]) -> list[dict]:
    """Liked Songs, newest first: the seed tracks the seed page hearts and a tenth of the invented playable tracks."""
    seed_hearts = {seed.id: seed.liked for seed in _SEED_TRACKS}
    rng = _rng("liked")
    tracks = {track.json["id"]: track.json for playlist in playlists for track in playlist["tracks"]}
    liked = [
        track for track_id, track in tracks.items()
        if seed_hearts.get(track_id, False) or (track_id not in seed_hearts and rng.random() < 0.1)
    ]
    added = datetime(2020, 6, 1)
    items = []
    for track in liked:
        added += timedelta(hours=rng.randrange(1, 200), seconds=rng.randrange(3600))
        items.append({"added_at": added.strftime(_TIME_FORMAT), "track": track})
    return items[::-1]


# --- tracks ----------------------------------------------------------------------------------------------------


def _seed_track(seed: _Seed) -> _Track:
    """A seed track with its real link and album art (its duration is synthetic, its ISRC left out)."""
    album_artists = _artists(seed.artists[:1])
    album = _album(base62_id(f"album:{seed.album}:{seed.artists[0]}"), seed.album, album_artists, seed.label,
                   str(seed.year), "year", images=_album_images(seed.art), single=seed.album == seed.name)
    duration = _rng(f"track:{seed.id}").randint(150_000, 270_000)
    track = _track_json(seed.id, seed.name, album, _artists(seed.artists), duration, isrc=None)
    track["external_urls"] = {"spotify": f"https://open.spotify.com/track/{seed.id}"}
    return _Track(track, seed.genre)


def _album_images(art: str) -> list[dict]:
    """Spotify's three sizes of one album cover, largest first."""
    sizes = (("ab67616d0000b273", 640), ("ab67616d00001e02", 300), ("ab67616d00004851", 64))
    return [{"height": size, "url": f"https://i.scdn.co/image/{prefix}{art}", "width": size}
            for prefix, size in sizes]


def _invent_tracks(key: str, genres: Sequence[str]) -> list[_Track]:
    """Invented tracks, one per entry of ``genres``, by a few invented artists per genre with one or two albums each."""
    rng = _rng(f"invent:{key}")
    genre_counts = Counter(genres)
    albums_by_genre: dict[str, list[dict]] = {}
    titles: set[str] = set()
    names: set[str] = set()  # of artists and albums
    tracks = []
    for number, genre in enumerate(genres):
        language = _GENRES[genre].language
        if genre not in albums_by_genre:
            albums_by_genre[genre] = [
                album
                for _ in range(max(1, genre_counts[genre] // 4))
                for album in _invent_artist_albums(rng, key, language, names)
            ]
        album = rng.choice(albums_by_genre[genre])
        title = _unique(titles, lambda: _title(rng, language))
        track_id = base62_id(f"track:{key}:{number}")
        duration = rng.randint(420_000, 900_000) if genre == "ambient/classical" else rng.randint(130_000, 290_000)
        isrc = f"XXDMO{album['release_date'][2:4]}{rng.randrange(100_000):05d}"
        track = _track_json(track_id, title, album, album["artists"], duration, isrc=isrc)
        track["explicit"] = rng.random() < (0.4 if genre == "hip hop" else 0.05)
        tracks.append(_Track(track, genre))
    return tracks


def _invent_artist_albums(rng: random.Random, key: str, language: str, taken: set[str]) -> list[dict]:
    """An invented artist's one or two albums (no images), on an invented label; names not in ``taken``."""
    words = _WORDS[language]
    use_person = rng.random() < 0.6 or language != "english"
    artist = _unique(taken, lambda: _person(rng, language) if use_person else _band(rng))
    artists = _artists((artist,))
    label = rng.choice(words["label"])
    albums = []
    for _ in range(rng.randint(1, 2)):
        name = _unique(taken, lambda: _title(rng, language))
        year = rng.randint(1998, 2025)
        precision = rng.choice(("day", "day", "month", "year"))
        date = {"day": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "month": f"{year}-{rng.randint(1, 12):02d}", "year": str(year)}[precision]
        album_id = base62_id(f"album:{key}:{artist}:{name}")
        albums.append(_album(album_id, name, artists, label, date, precision, images=[], single=False))
    return albums


def _special_tracks(tracks: list[_Track]) -> list[_Track]:
    """The same tracks with names full of markdown/HTML metacharacters and emoji (each decoration used in turn;
    an artist or album keeps one decorated name throughout)."""
    artist_names: dict[str, str] = {}
    albums: dict[str, dict] = {}
    decorated = []
    for number, track in enumerate(tracks):
        for artist in track.json["artists"]:
            pattern = _ARTIST_DECORATIONS[len(artist_names) % len(_ARTIST_DECORATIONS)]
            artist_names.setdefault(artist["id"], pattern.format(artist["name"]))
        artists = [{**artist, "name": artist_names[artist["id"]]} for artist in track.json["artists"]]
        album = track.json["album"]
        if album["id"] not in albums:
            pattern = _ALBUM_DECORATIONS[len(albums) % len(_ALBUM_DECORATIONS)]
            albums[album["id"]] = {**album, "name": pattern.format(album["name"]), "artists": artists,
                                   "label": f"<{album['label']}> | Records 🎵"}
        name = _TRACK_DECORATIONS[number % len(_TRACK_DECORATIONS)].format(track.json["name"])
        decorated.append(_Track({**track.json, "name": name, "album": albums[album["id"]], "artists": artists},
                                track.genre))
    return decorated


def _track_json(track_id: str, name: str, album: dict, artists: list[dict], duration_ms: int,
                isrc: str | None) -> dict:
    track = {
        "album": album, "artists": artists, "disc_number": 1, "duration_ms": duration_ms, "explicit": False,
        "href": f"{API_ROOT}/tracks/{track_id}", "id": track_id, "is_local": False, "name": name,
        "track_number": 1, "type": "track", "uri": f"spotify:track:{track_id}",
    }
    if isrc:
        track["external_ids"] = {"isrc": isrc}
    return track


def _album(album_id: str, name: str, artists: list[dict], label: str, release_date: str, precision: str,
           images: list[dict], single: bool) -> dict:
    return {
        "album_type": "single" if single else "album", "artists": artists, "href": f"{API_ROOT}/albums/{album_id}",
        "id": album_id, "images": images, "label": label, "name": name, "release_date": release_date,
        "release_date_precision": precision, "type": "album", "uri": f"spotify:album:{album_id}",
    }


def _artists(names: Sequence[str]) -> list[dict]:
    """Simplified artist objects; an artist's id is derived from its name (no links: the ids are not Spotify's)."""
    return [
        {"href": f"{API_ROOT}/artists/{artist_id}", "id": artist_id, "name": name, "type": "artist",
         "uri": f"spotify:artist:{artist_id}"}
        for name, artist_id in ((name, base62_id(f"artist:{name}")) for name in names)
    ]


def _title(rng: random.Random, language: str) -> str:
    words = _WORDS[language]
    if language == "english":
        template = rng.choice(_ENGLISH_TITLES)
        return template.format(a=rng.choice(words["adjective"]), n=rng.choice(words["noun"]),
                               m=rng.choice(words["noun"]))
    joiner = {"spanish": " ", "japanese": "の", "chinese": "的"}[language]
    return f"{rng.choice(words['noun'])}{joiner}{rng.choice(words['tail'])}"


def _person(rng: random.Random, language: str) -> str:
    words = _WORDS[language]
    first, last = rng.choice(words["first"]), rng.choice(words["last"])
    return f"{last}{first}" if language == "chinese" else f"{first} {last}"


def _band(rng: random.Random) -> str:
    words = _WORDS["english"]
    return f"The {rng.choice(words['adjective'])} {rng.choice(words['noun'])}"


def _unique(taken: set[str], draw: Callable[[], str]) -> str:
    """A value of ``draw()`` not in ``taken`` (numbered after a few tries), which it then joins."""
    for _ in range(20):
        value = draw()
        if value not in taken:
            break
    else:
        value = f"{value} {len(taken)}"
    taken.add(value)
    return value


def _genre_mix(counts: dict[str, int]) -> list[str]:
    return [genre for genre, count in counts.items() for _ in range(count)]


# --- synthetic audio features ----------------------------------------------------------------------------------


def _features(track: _Track) -> dict:
    """Spotify-shaped audio features drawn from the track's genre, seeded by its id."""
    track_id = track.json["id"]
    genre = _GENRES[track.genre]
    rng = _rng(f"features:{track_id}")
    concentration = 30  # of the Beta draws: a spread of about 0.08 around the genre's mean
    unit_features = {}
    for name in _UNIT_FEATURES:
        mean = getattr(genre, name)
        unit_features[name] = round(rng.betavariate(mean * concentration, (1 - mean) * concentration), 3)
    return {
        **unit_features,
        "key": rng.randrange(12),
        "mode": int(rng.random() < 0.6),
        "time_signature": 3 if rng.random() < 0.05 else 4,
        "tempo": round(min(220.0, max(50.0, rng.gauss(genre.tempo, 9))), 3),
        "loudness": round(min(-1.0, max(-35.0, rng.gauss(genre.loudness, 1.5))), 3),
        "duration_ms": track.json["duration_ms"],
        "type": "audio_features",
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "track_href": f"{API_ROOT}/tracks/{track_id}",
        "analysis_url": f"{API_ROOT}/audio-analysis/{track_id}",
    }


def _rng(key: str) -> random.Random:
    """A random generator seeded from ``key`` (stable across runs and Python versions)."""
    return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))
