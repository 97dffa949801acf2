"""Deezer's public API (no key): a track by ISRC or by a strict search, and its 30-second preview, within the rate limit."""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from playlist_assets.features.unreachable import ServiceUnreachable, in_words

API_ROOT = "https://api.deezer.com"

#: Why a track has no preview descriptors. Lasting reasons are remembered (30 days); the others are asked again.
NOT_ON_DEEZER = "not found on Deezer"
NO_PREVIEW = "no preview on Deezer"
UNUSABLE = "preview not usable"
TIMED_OUT = "timed out"
DEEZER_FAILED = "Deezer error"
LASTING_MISSES = (NOT_ON_DEEZER, NO_PREVIEW, UNUSABLE)

#: Deezer's error codes (sent with HTTP 200): no data, and quota exceeded (about 50 requests per 5 s).
NO_DATA = 800
QUOTA_EXCEEDED = 4

#: Requests in a row that got no answer at all (no connection, no reply in time) after which Deezer counts as
#: unreachable (``ServiceUnreachable``): the tracks left are not asked.
UNREACHABLE_AFTER = 8

#: Largest preview accepted (a 30-second 128 kbps MP3 is about 480 KB).
MAX_PREVIEW_BYTES = 5_000_000


class PreviewMissing(Exception):
    """No preview for this track; ``str(error)`` is one of the reasons above, ``detail`` says more."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Wanted:
    """What we know of a track to find it on Deezer."""

    isrc: str
    title: str
    artists: tuple[str, ...]
    duration_seconds: float  # 0 when unknown


class RateLimiter:
    """At most ``requests`` calls in any ``seconds`` as the server sees them, across threads: a call counts from
    when it is let through until ``seconds`` after its answer arrived (it reached the server in between)."""

    def __init__(self, requests: int, seconds: float):
        self.requests, self.seconds = requests, seconds
        self._ends: dict[object, float] = {}  # call -> when its answer arrived (inf while in flight)
        self._changed = threading.Condition()

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Blocks until a call is allowed; the call is the ``with`` block."""
        call = object()
        with self._changed:
            while True:
                now = time.monotonic()
                self._ends = {c: end for c, end in self._ends.items() if end > now - self.seconds}
                if len(self._ends) < self.requests:
                    break
                earliest = min(self._ends.values())
                self._changed.wait(None if earliest == math.inf else earliest + self.seconds - now)
            self._ends[call] = math.inf
        try:
            yield
        finally:
            with self._changed:
                self._ends[call] = time.monotonic()
                self._changed.notify_all()


class Reach:
    """Deezer's requests in a row that got no answer, across threads and playlists: after a playlist found Deezer
    unreachable, the next one asks once before it fails too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unanswered_in_a_row = 0

    def answered(self) -> None:
        with self._lock:
            self._unanswered_in_a_row = 0

    def unanswered(self) -> bool:
        """Count one more; whether Deezer now counts as unreachable."""
        with self._lock:
            self._unanswered_in_a_row += 1
            return self._unanswered_in_a_row >= UNREACHABLE_AFTER


class DeezerClient:
    """Finds a track's preview and downloads it. Errors arrive with HTTP 200 as ``{"error": {"code": ...}}``:
    800 (no data) means not found; 4 (quota exceeded), 429 and 5xx are retried after ``backoff_seconds``,
    ``attempts`` times in all. The preview URL is signed and expires, so it is used at once and never kept;
    a 403 on it asks the track again for a fresh URL, once. ``UNREACHABLE_AFTER`` requests in a row without an
    answer (``reach``) raise ``ServiceUnreachable``, for this track and every one this client is asked for after it.
    """

    def __init__(self, api_root: str, limiter: RateLimiter, reach: Reach, *, timeout_seconds: float, attempts: int,
                 backoff_seconds: float, duration_tolerance_seconds: float):
        self.api_root = api_root.rstrip("/")
        self.limiter, self.reach = limiter, reach
        self.timeout_seconds = timeout_seconds
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.duration_tolerance_seconds = duration_tolerance_seconds
        self._local = threading.local()
        self._unreachable_why = ""

    def preview(self, wanted: Wanted) -> bytes:
        """The MP3 bytes of the track's preview; raises ``PreviewMissing`` (or ``ServiceUnreachable``)."""
        self._check_reachable()
        track = self._by_isrc(wanted.isrc) if wanted.isrc else None
        if not _has_preview(track):
            track = self._by_search(wanted) or track
        if track is None:
            raise PreviewMissing(NOT_ON_DEEZER, f"ISRC {wanted.isrc or '(none)'}, {wanted.title!r}")
        if not _has_preview(track):
            raise PreviewMissing(NO_PREVIEW, f"Deezer track {track.get('id')}")
        try:
            return self._download(track["preview"])
        except _Refused:
            fresh = self._get(f"/track/{int(track['id'])}")
            if not _has_preview(fresh):
                raise PreviewMissing(NO_PREVIEW, f"Deezer track {track.get('id')}") from None
            try:
                return self._download(fresh["preview"])
            except _Refused:
                raise PreviewMissing(DEEZER_FAILED, "the preview URL was refused twice") from None

    def _by_isrc(self, isrc: str) -> dict | None:
        return self._get(f"/track/isrc:{requests.utils.quote(isrc, safe='')}")

    def _by_search(self, wanted: Wanted) -> dict | None:
        """The first search hit whose title and an artist match after normalisation and whose duration agrees."""
        if not wanted.title or not wanted.artists:
            return None
        query = f'artist:"{_quoted(wanted.artists[0])}" track:"{_quoted(wanted.title)}"'
        found = self._get("/search", {"q": query, "limit": 10})
        hits = found.get("data") if isinstance(found, dict) else None
        return next((hit for hit in hits or [] if isinstance(hit, dict) and self._matches(wanted, hit)), None)

    def _matches(self, wanted: Wanted, hit: dict) -> bool:
        titles = {normalised(hit.get("title")), normalised(hit.get("title_short"))}
        artist = normalised((hit.get("artist") or {}).get("name"))
        ours = {normalised(wanted.title), normalised(_without_version(wanted.title))}
        duration = hit.get("duration")
        close = not wanted.duration_seconds or (
            isinstance(duration, int | float) and abs(duration - wanted.duration_seconds) <= self.duration_tolerance_seconds
        )
        return bool(titles & ours - {""}) and artist in {normalised(name) for name in wanted.artists} and close

    def _get(self, path: str, params: dict | None = None) -> dict | None:
        """The JSON object at ``path``, None for "no data"; retries quota errors, 429 and 5xx."""
        url = f"{self.api_root}{path}"
        for attempt in range(1, self.attempts + 1):
            with self.limiter.call():
                response = self._request(url, params)
            retry = response.status_code == 429 or response.status_code >= 500
            doc = None
            if response.status_code == 200:
                try:
                    doc = response.json()
                except ValueError:
                    raise PreviewMissing(DEEZER_FAILED, f"{url}: the answer is not JSON") from None
                error = doc.get("error") if isinstance(doc, dict) else None
                if not isinstance(doc, dict) or (error is not None and not isinstance(error, dict)):
                    raise PreviewMissing(DEEZER_FAILED, f"{url}: the answer is not a JSON object")
                if error is None:
                    return doc
                if error.get("code") == NO_DATA:
                    return None
                retry = error.get("code") == QUOTA_EXCEEDED
            if not retry or attempt == self.attempts:
                what = doc["error"] if doc else f"HTTP {response.status_code}"
                raise PreviewMissing(DEEZER_FAILED, f"{url}: {what} after {attempt} attempt(s)")
            time.sleep(self.backoff_seconds)
        raise AssertionError("unreachable")

    def _request(self, url: str, params: dict | None) -> requests.Response:
        try:
            response = self._session().get(url, params=params, timeout=self.timeout_seconds)
        except requests.RequestException as error:
            self._unanswered(error)
            raise PreviewMissing(*_missing(error, url)) from None
        self.reach.answered()
        return response

    def _download(self, url: str) -> bytes:
        """The file at ``url``, within ``timeout_seconds`` in all; raises ``_Refused`` on 403."""
        deadline = time.monotonic() + self.timeout_seconds
        try:
            with self._session().get(url, timeout=self.timeout_seconds, stream=True) as response:
                self.reach.answered()
                if response.status_code == 403:
                    raise _Refused
                if response.status_code != 200:
                    raise PreviewMissing(DEEZER_FAILED, f"preview: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if time.monotonic() > deadline:
                        raise PreviewMissing(TIMED_OUT, f"preview slower than {self.timeout_seconds:g} s")
                    if len(body) > MAX_PREVIEW_BYTES:
                        raise PreviewMissing(UNUSABLE, f"preview larger than {MAX_PREVIEW_BYTES} bytes")
                return bytes(body)
        except requests.RequestException as error:
            self._unanswered(error)
            raise PreviewMissing(*_missing(error, "preview download")) from None

    def _unanswered(self, error: requests.RequestException) -> None:
        """Count a request without an answer; from the ``UNREACHABLE_AFTER``th in a row, raise
        ``ServiceUnreachable``."""
        if self.reach.unanswered() and not self._unreachable_why:
            self._unreachable_why = in_words(error, self.timeout_seconds)
        self._check_reachable()

    def _check_reachable(self) -> None:
        if self._unreachable_why:
            raise ServiceUnreachable("Deezer", self.api_root, self._unreachable_why, "PLAYLIST_ASSETS_PREVIEWS")

    def _session(self) -> requests.Session:
        """One session per thread (connections are reused, sessions are not shared between threads)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session


def _missing(error: requests.RequestException, what: str) -> tuple[str, str]:
    """The reason and detail of a request that got no answer."""
    return (TIMED_OUT, what) if isinstance(error, requests.Timeout) else (DEEZER_FAILED, f"{what}: {error}")


class _Refused(Exception):
    """The preview URL answered 403 (expired)."""


def _has_preview(track: dict | None) -> bool:
    return isinstance(track, dict) and track.get("readable") is not False and bool(track.get("preview"))


_BRACKETS = re.compile(r"[(\[][^)\]]*[)\]]")
_NOT_WORD = re.compile(r"[^\w]+")


def normalised(text: object) -> str:
    """Casefolded, without accents, bracketed parts ("(feat. X)", "[Live]") or punctuation; "&" reads "and"."""
    if not isinstance(text, str):
        return ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = _BRACKETS.sub(" ", plain.casefold().replace("&", " and "))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def _without_version(title: str) -> str:
    """``"Song - Remastered 2011"`` -> ``"Song"`` (Spotify's version suffix; Deezer puts it in brackets)."""
    return title.split(" - ")[0]


def _quoted(text: str) -> str:
    return text.replace('"', " ")
