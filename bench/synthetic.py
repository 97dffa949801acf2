"""A synthetic library of N playlists x M tracks plus one big playlist, served in the Web API's JSON shapes.

Deterministic (seeded per playlist) and compact: features are numpy arrays, and the JSON of a page of
items is built when it is asked for, so a library of 110,000 tracks costs a few megabytes.
Served through the same ``web_api`` parsing as the demo and live sources.
"""

import functools
from urllib.parse import parse_qs, urlsplit

import numpy as np

from playlist_assets.features import FeatureProvider
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources import web_api
from playlist_assets.sources.web_api import API_ROOT, AUDIO_FEATURE_COLUMNS, PAGE_LIMIT

FEATURE_SOURCE = "synthetic (bench)"
GENRES = 6  # each playlist mixes up to this many far-apart genres, so it has clusters to find
_WORDS = ("Neon", "Velvet", "Paper", "Silver", "Midnight", "Golden", "Quiet", "Electric", "Hollow", "Crimson")
_NOUNS = ("Harbour", "Gardens", "Rain", "Echoes", "Mirrors", "Highway", "Letters", "Tides", "Skyline", "Dreams")


def playlist_id(number: int) -> str:
    """A 22-character base62 id for playlist ``number``."""
    return f"BenchPL{number:015d}"


def track_id(playlist: int, number: int) -> str:
    return f"{playlist:07d}T{number:014d}"


class SyntheticLibrary:
    """``get_json(url)`` for ``/me/playlists``, ``/playlists/{id}[/items]`` and ``/audio-features``."""

    def __init__(self, playlists: int, tracks: int, big: int):
        sizes = [tracks] * playlists + ([big] if big else [])
        self.sizes = {playlist_id(number): size for number, size in enumerate(sizes)}
        self._numbers = {key: number for number, key in enumerate(self.sizes)}
        self._features: dict[int, np.ndarray] = {}

    def features(self, playlist: int) -> np.ndarray:
        """The playlist's feature matrix (tracks x AUDIO_FEATURE_COLUMNS), drawn around a few genre centres."""
        if playlist not in self._features:
            rng = np.random.default_rng([7, playlist])
            size = list(self.sizes.values())[playlist]
            centres = rng.uniform(0.1, 0.9, size=(GENRES, len(AUDIO_FEATURE_COLUMNS)))
            genres = rng.integers(0, rng.integers(2, GENRES + 1), size=size)
            values = np.clip(centres[genres] + rng.normal(0, 0.06, size=(size, len(AUDIO_FEATURE_COLUMNS))), 0, 1)
            values[:, -2] = 60 + values[:, -2] * 120  # tempo, BPM
            values[:, -1] = -30 + values[:, -1] * 28  # loudness, dB
            self._features[playlist] = values.round(3)
        return self._features[playlist]

    def get_json(self, url: str) -> dict:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        path = parts.path[len(urlsplit(API_ROOT).path) :].strip("/").split("/")
        match path:
            case ["me", "playlists"]:
                summaries = [self._summary(key) for key in self.sizes]
                return _page(f"{API_ROOT}/me/playlists", query, len(summaries), lambda i: summaries[i])
            case ["playlists", key]:
                return {**self._summary(key), "items": self._items(key, {"limit": [str(PAGE_LIMIT)]})}
            case ["playlists", key, "items"]:
                return self._items(key, query)
            case ["audio-features"]:
                return {"audio_features": [self._feature_json(i) for i in query["ids"][0].split(",")]}
        raise LookupError(f"no synthetic resource at {url}")

    def _summary(self, key: str) -> dict:
        number = self._numbers[key]
        return {
            "id": key,
            "name": f"Synthetic {number:04d}",
            "snapshot_id": f"snapshot-{number}",
            "owner": {"id": "bench", "display_name": "Bench"},
            "items": {"total": self.sizes[key]},
        }

    def _items(self, key: str, query: dict) -> dict:
        number = self._numbers[key]
        return _page(f"{API_ROOT}/playlists/{key}/items", query, self.sizes[key], lambda i: _item(number, i))

    def _feature_json(self, track: str) -> dict:
        playlist, number = int(track[:7]), int(track[8:])
        values = self.features(playlist)[number]
        return {"id": track, **dict(zip(AUDIO_FEATURE_COLUMNS, values.tolist()))}

    def liked(self) -> frozenset[str]:
        """Every tenth track of every playlist."""
        return frozenset(track_id(p, i) for p, size in enumerate(self.sizes.values()) for i in range(0, size, 10))


def _page(base: str, query: dict, total: int, make) -> dict:
    offset = int(query.get("offset", ["0"])[0])
    limit = int(query.get("limit", ["20"])[0])
    end = min(total, offset + limit)
    following = f"{base}?offset={end}&limit={limit}" if end < total else None
    return {"items": [make(i) for i in range(offset, end)], "next": following, "total": total}


def _item(playlist: int, number: int) -> dict:
    """Item ``number`` of a playlist: a track with a name, album, artists, label and (for a third) album art."""
    track = track_id(playlist, number)
    word, noun = _WORDS[number % len(_WORDS)], _NOUNS[(number // len(_WORDS)) % len(_NOUNS)]
    images = [{"url": f"https://i.scdn.co/image/{track}", "width": 640, "height": 640}] if number % 3 == 0 else []
    entity = {
        "id": track,
        "name": f"{word} {noun} {number}",
        "type": "track",
        "is_local": False,
        "duration_ms": 150_000 + number % 90_000,
        "explicit": number % 11 == 0,
        "album": {"name": f"Album {number % 37}", "images": images, "label": f"Label {number % 5}",
                  "release_date": f"{2000 + number % 25}"},
        "artists": [{"id": f"artist{number % 23}", "name": f"Artist {number % 23}"}],
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track}"},
    }
    return {"added_at": "2024-01-01T00:00:00Z", "is_local": False, "item": entity}


@functools.cache
def library(playlists: int, tracks: int, big: int) -> SyntheticLibrary:
    return SyntheticLibrary(playlists, tracks, big)


class SyntheticSource(PlaylistSource):
    """The synthetic library as a PlaylistSource."""

    playlists: int
    tracks: int
    big: int

    def list_playlists(self):
        return web_api.list_playlists(self._library().get_json)

    def fetch_playlist(self, playlist_id: str):
        return web_api.fetch_playlist(self._library().get_json, playlist_id)

    def liked_track_ids(self) -> frozenset[str]:
        return self._library().liked()

    def _library(self) -> SyntheticLibrary:
        return library(self.playlists, self.tracks, self.big)


class SyntheticFeatures(FeatureProvider):
    """The synthetic library's features, read through the audio-features parsing."""

    playlists: int
    tracks: int
    big: int

    def features(self, tracks):
        found = web_api.audio_features(library(self.playlists, self.tracks, self.big).get_json, list(tracks.index))
        return found.assign(source=FEATURE_SOURCE)
