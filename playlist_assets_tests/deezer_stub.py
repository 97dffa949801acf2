"""Deezer's public API on 127.0.0.1 as it answers in 2026, serving MP3 previews made by the tests.

    with FakeDeezer() as deezer:
        deezer.add("USRC17607839", "Song", "Artist", 180, click_track(120))
        deezer.provider().features(tracks)

Served: GET /track/isrc:{ISRC}, /track/{id}, /search?q=artist:"X" track:"Y" (loose, as Deezer's search is:
every entry whose artist or title contains a quoted word), and /preview/{id}.mp3?hdnea=exp={token}. Errors come
with HTTP 200 (``{"error": {"code": 800}}`` for an unknown ISRC or id). Each answer of a track carries a new
signed preview URL; ``expire(deezer_id)`` makes the URLs given so far answer 403. ``fail(prefix, *responses)``
answers the next requests whose path starts with ``prefix`` with ``responses``; ``slow[deezer_id]`` delays its
preview by that many seconds. ``api_times`` records when each API request (not preview) arrived.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
import threading
import time
from collections import deque

import numpy as np
import soundfile

from playlist_assets.features import PreviewFeatures
from playlist_assets_tests.stub_http import StubRequest, StubResponse, StubServer

RATE = 44_100
NO_DATA = {"error": {"type": "DataException", "message": "no data", "code": 800}}
QUOTA = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}


class FakeDeezer:
    """See the module docstring. Use as a context manager."""

    def __init__(self):
        self.tracks: dict[int, dict] = {}
        self.clips: dict[int, bytes | None] = {}
        self.slow: dict[int, float] = {}
        self.api_times: list[float] = []
        self._valid_tokens: dict[int, set[str]] = {}
        self._tokens = itertools.count(1)
        self._faults: list[tuple[str, deque[StubResponse]]] = []
        self._lock = threading.Lock()
        self.server = StubServer(self._answer)

    def __enter__(self) -> FakeDeezer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.__exit__(*exc_info)

    def provider(self, **fields) -> PreviewFeatures:
        settings = {"timeout_seconds": 5.0, "backoff_seconds": 0.05, "window_seconds": 0.2, **fields}
        return PreviewFeatures(api_root=self.server.url, **settings)

    def add(self, isrc: str, title: str, artist: str, duration: int, clip: bytes | None, *, readable: bool = True) -> int:
        """A track (its Deezer id returned); ``clip=None`` or ``readable=False``: no preview."""
        deezer_id = 1000 + len(self.tracks)
        self.tracks[deezer_id] = {
            "id": deezer_id, "readable": readable, "title": title, "title_short": re.sub(r" \(.*\)$", "", title),
            "isrc": isrc, "duration": duration, "rank": 500_000, "bpm": 0, "gain": -9.1,
            "artist": {"id": 7, "name": artist, "type": "artist"}, "album": {"id": 8, "title": "Album"}, "type": "track",
        }
        self.clips[deezer_id] = clip
        self._valid_tokens[deezer_id] = set()
        return deezer_id

    def expire(self, deezer_id: int) -> None:
        with self._lock:
            self._valid_tokens[deezer_id] = set()

    def fail(self, prefix: str, *responses: StubResponse) -> None:
        with self._lock:
            self._faults.append((prefix, deque(responses)))

    def recover(self) -> None:
        """Answer normally again: the faults not served yet are dropped."""
        with self._lock:
            self._faults.clear()

    def api_paths(self) -> list[str]:
        return [path for path in self.server.paths() if not path.startswith("/preview/")]

    def downloads(self) -> list[str]:
        return [path for path in self.server.paths() if path.startswith("/preview/")]

    def _answer(self, request: StubRequest) -> StubResponse:
        if not request.path.startswith("/preview/"):
            with self._lock:
                self.api_times.append(time.monotonic())
        with self._lock:
            for prefix, responses in self._faults:
                if request.path.startswith(prefix) and responses:
                    return responses.popleft()
        if request.path.startswith("/preview/"):
            return self._preview(request)
        if request.path.startswith("/track/isrc:"):
            isrc = request.path.removeprefix("/track/isrc:")
            found = [i for i, track in self.tracks.items() if track["isrc"] and track["isrc"] == isrc]
            return StubResponse(json=self._track(found[0]) if found else NO_DATA)
        if match := re.fullmatch(r"/track/(\d+)", request.path):
            deezer_id = int(match.group(1))
            return StubResponse(json=self._track(deezer_id) if deezer_id in self.tracks else NO_DATA)
        if request.path == "/search":
            words = [w.casefold() for w in re.findall(r'"([^"]*)"', request.query.get("q", ""))]
            hits = [
                self._track(i) for i, track in self.tracks.items()
                if any(w and (w in track["title"].casefold() or w in track["artist"]["name"].casefold()) for w in words)
            ]
            return StubResponse(json={"data": hits, "total": len(hits)})
        return StubResponse(json={"error": {"type": "DataException", "message": "no data", "code": 800}})

    def _track(self, deezer_id: int) -> dict:
        """The track with a freshly signed preview URL ("" when it has no preview)."""
        token = f"{next(self._tokens)}~hmac=x"
        with self._lock:
            self._valid_tokens[deezer_id].add(token)
        has_clip = self.clips[deezer_id] is not None
        preview = f"{self.server.url}/preview/{deezer_id}.mp3?hdnea=exp={token}" if has_clip else ""
        return {**self.tracks[deezer_id], "preview": preview}

    def _preview(self, request: StubRequest) -> StubResponse:
        deezer_id = int(request.path.removeprefix("/preview/").removesuffix(".mp3"))
        token = request.query.get("hdnea", "").removeprefix("exp=")
        with self._lock:
            valid = token in self._valid_tokens.get(deezer_id, set())
        if not valid:
            return StubResponse(status=403, body=b"<Error>AccessDenied: expired</Error>")
        return StubResponse(body=self.clips[deezer_id], delay=self.slow.get(deezer_id, 0.0))


def mp3(samples: np.ndarray, rate: int = RATE) -> bytes:
    """``samples`` (mono or (n, channels), -1..1) as MP3 bytes."""
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="MP3")
    return buffer.getvalue()


@functools.lru_cache(maxsize=64)
def click_track(
    bpm: float, seconds: float = 12.0, *, seed: int = 0, hz: float = 220.0, rate: int = RATE, offbeat: float = 0.0
) -> bytes:
    """Noise clicks (50 ms decay) on every beat at ``bpm`` over a quiet tone of ``hz``; with ``offbeat``, another
    click that far into each beat (0.5: straight eighths, 2/3: swung)."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(int(seconds * rate)) / rate
    signal = 0.05 * np.sin(2 * np.pi * hz * time_s)
    click = np.exp(-np.arange(int(0.05 * rate)) / (0.007 * rate))
    beats = np.arange(0.1, seconds - 0.1, 60 / bpm)
    for beat in np.concatenate([beats, beats + offbeat * 60 / bpm]) if offbeat else beats:
        start = int(beat * rate)
        signal[start : start + len(click)] += 0.7 * click * rng.standard_normal(len(click))
    return mp3(np.clip(signal, -1, 1), rate)


@functools.lru_cache(maxsize=16)
def tone(dbfs: float, hz: float = 1000.0, seconds: float = 8.0) -> bytes:
    """A sine of peak level ``dbfs`` on both channels."""
    time_s = np.arange(int(seconds * RATE)) / RATE
    wave = 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * time_s)
    return mp3(np.stack([wave, wave], axis=1))


@functools.lru_cache(maxsize=16)
def noise(dbfs: float, seconds: float = 8.0, seed: int = 0) -> bytes:
    """White noise of RMS level ``dbfs``."""
    return mp3(np.clip(10 ** (dbfs / 20) * np.random.default_rng(seed).standard_normal(int(seconds * RATE)), -1, 1))
