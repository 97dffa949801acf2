"""HTTP for the live Spotify source: spotipy without urllib3 retries, our own retry loop, and a private token cache.

Nothing here puts the access token, the refresh token or the client secret into a message, a log line or an
exception; spotipy's own request logs, which echo headers and token bodies, are dropped.
"""

import json
import logging
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import requests
import spotipy
from spotipy.cache_handler import CacheFileHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError

#: Everything the live source reads: the user's playlists (own and collaborative) and Liked Songs.
SCOPES = "playlist-read-private playlist-read-collaborative user-library-read"

#: What writing the clusters back as private playlists needs besides (asked for at login only when publishing).
WRITE_SCOPE = "playlist-modify-private"

LOGIN_HINT = "run `./run.sh login` (playlist-assets login) once to authorize this app"

log = dg.get_dagster_logger(__name__)

_TRANSIENT_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)

class SpotifyRefused(Exception):
    """Spotify answered 403 or 404: this app or this user may not read the resource."""

    def __init__(self, status: int, url: str, reason: str = ""):
        super().__init__(f"Spotify answers {status} to {url}" + (f": {reason}" if reason else ""))
        self.status = status
        self.url = url


class SpotifyRateLimited(RuntimeError):
    """Spotify asked (429 Retry-After) to wait longer than ``max_retry_after_seconds``, until ``until`` (UTC)."""

    def __init__(self, message: str, until: datetime):
        super().__init__(message)
        self.until = until


class SpotifyUnavailable(RuntimeError):
    """Spotify kept failing (5xx, timeouts, connection errors, 429) through every attempt."""


class SpotifyUncertainWrite(RuntimeError):
    """A write that is not safe to repeat failed in a way that leaves open whether Spotify carried it out."""


class SpotifyLoginRequired(RuntimeError):
    """No usable token is cached: the user must log in outside of any run."""


class _DropRecordsUpTo(logging.Filter):
    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > self.level


# spotipy logs request headers (Bearer token, Basic client id:secret) and token request bodies at DEBUG, and
# every HTTP error at ERROR, even those SpotifyClient retries or turns into its own exceptions.
logging.getLogger("spotipy.client").addFilter(_DropRecordsUpTo(logging.ERROR))
logging.getLogger("spotipy.oauth2").addFilter(_DropRecordsUpTo(logging.DEBUG))


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/playlist_assets``, by default ``~/.config/playlist_assets``."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".config") / "playlist_assets"


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/playlist_assets``, by default ``~/.cache/playlist_assets``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "playlist_assets"


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically by a file of mode 0600 (its directory, when created, gets 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp opens with os.open(..., O_CREAT | O_EXCL, 0o600): the text is never readable by others.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class PrivateCacheFileHandler(CacheFileHandler):
    """spotipy's token file cache, written atomically with mode 0600 (concurrent runs may refresh at once)."""

    def save_token_to_cache(self, token_info: dict) -> None:
        write_private(Path(self.cache_path), json.dumps(token_info))


def check_redirect_uri(uri: str) -> None:
    """Spotify accepts only loopback redirects of the form ``http://127.0.0.1:<port>/...`` for a local app."""
    parts = urlsplit(uri)
    if parts.hostname == "localhost":
        raise ValueError(
            f"redirect_uri {uri!r}: Spotify no longer accepts 'localhost'; use http://127.0.0.1:<port>/callback "
            "and register exactly that URI in your app's settings on developer.spotify.com"
        )
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
        raise ValueError(f"redirect_uri {uri!r}: must look like http://127.0.0.1:8888/callback (a port is required)")


def auth_manager(
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    token_cache_path: Path,
    accounts_root: str,
    requests_timeout: float,
    scope: str = SCOPES,
) -> spotipy.SpotifyOAuth | spotipy.SpotifyPKCE:
    """SpotifyOAuth, or SpotifyPKCE when there is no client secret, caching the token in ``token_cache_path``."""
    check_redirect_uri(redirect_uri)
    common = dict(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        cache_handler=PrivateCacheFileHandler(cache_path=str(token_cache_path)),
        requests_session=requests.Session(),
        requests_timeout=requests_timeout,
        open_browser=False,
    )
    if client_secret:
        manager = spotipy.SpotifyOAuth(client_secret=client_secret, **common)
    else:
        manager = spotipy.SpotifyPKCE(**common)
    manager.OAUTH_AUTHORIZE_URL = f"{accounts_root}/authorize"
    manager.OAUTH_TOKEN_URL = f"{accounts_root}/api/token"
    return manager


class CachedTokenOnly:
    """Hands spotipy the cached token (refreshed when expired); never opens a browser or prompts."""

    def __init__(self, manager: spotipy.SpotifyOAuth | spotipy.SpotifyPKCE):
        self.manager = manager

    def get_access_token(self, as_dict: bool = False) -> str:  # spotipy passes as_dict=False
        path = self.manager.cache_handler.cache_path
        try:
            token_info = self.manager.validate_token(self.manager.cache_handler.get_cached_token())
        except SpotifyOauthError as error:
            raise SpotifyLoginRequired(
                f"Spotify would not refresh the token in {path} ({error.error}): {LOGIN_HINT}"
            ) from None
        if token_info is None:
            raise SpotifyLoginRequired(f"No Spotify token with the scopes {SCOPES!r} in {path}: {LOGIN_HINT}")
        return token_info["access_token"]


class SpotifyClient:
    """GETs (and writes) absolute Web API URLs through spotipy and retries what is worth retrying.

    429: waits Retry-After when it is at most ``max_retry_after_seconds``, else fails at once saying until when.
    5xx, timeouts, connection errors: retries with exponential backoff (``backoff_seconds`` * 2**n), except for a
    write that is not safe to repeat: ``SpotifyUncertainWrite`` at once.
    403/404: ``SpotifyRefused``. A body that is not a JSON object: ``ValueError``. At most ``max_attempts`` tries.
    """

    def __init__(
        self,
        spotify: spotipy.Spotify,
        *,
        max_retry_after_seconds: float,
        max_attempts: int,
        backoff_seconds: float,
    ):
        self.spotify = spotify
        self.max_retry_after_seconds = max_retry_after_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds

    def get_json(self, url: str) -> dict:
        document = self._call("GET", url, None, repeatable=True)
        if not isinstance(document, dict):
            raise ValueError(f"{url}: Spotify's answer is not a JSON object (malformed or empty body)")
        return document

    def write(self, method: str, url: str, payload: dict | list | None = None, *, repeatable: bool) -> dict | None:
        """POST, PUT or DELETE ``payload`` (JSON) to ``url``; the answer's JSON object, None when it has none.

        ``repeatable``: the same request twice does what it does once (PUT, DELETE), so it is retried like a GET.
        """
        document = self._call(method, url, payload, repeatable)
        return document if isinstance(document, dict) else None

    def _call(self, method: str, url: str, payload: dict | list | None, repeatable: bool) -> dict | list | None:
        send = {"GET": self.spotify._get, "POST": self.spotify._post, "PUT": self.spotify._put,
                "DELETE": self.spotify._delete}[method]
        attempt = 1
        while True:
            try:
                return send(url, payload=payload)
            except SpotifyException as error:
                problem, delay = self._problem_and_delay(error, url, attempt)
                uncertain = error.http_status >= 500
            except _TRANSIENT_ERRORS as error:
                problem, delay, uncertain = type(error).__name__, self._backoff(attempt), True
            if uncertain and not repeatable:
                raise SpotifyUncertainWrite(f"{problem} for {method} {url}: Spotify may or may not have done it")
            if attempt >= self.max_attempts:
                raise SpotifyUnavailable(f"Spotify failed {attempt} times for {url}; last answer: {problem}")
            attempt += 1
            log.warning("%s for %s; attempt %d of %d in %.1f s", problem, url, attempt, self.max_attempts, delay)
            time.sleep(delay)

    def _problem_and_delay(self, error: SpotifyException, url: str, attempt: int) -> tuple[str, float]:
        """What went wrong and how long to wait before retrying; raises when it is not worth retrying."""
        status = error.http_status
        message = str(error.msg).split("\n", 1)[-1].strip()
        if status in (403, 404):
            raise SpotifyRefused(status, url, message) from None
        if status == 429:
            retry_after = _seconds(error.headers.get("Retry-After"))
            if retry_after is None:
                return "429 Too Many Requests", self._backoff(attempt)
            if retry_after > self.max_retry_after_seconds:
                until = datetime.now(UTC) + timedelta(seconds=retry_after)
                raise SpotifyRateLimited(
                    f"Spotify rate-limits this app: it asks to wait {retry_after:.0f} s before the next request "
                    f"(for {url}), more than max_retry_after_seconds={self.max_retry_after_seconds:g}; "
                    f"try again after {until:%Y-%m-%d %H:%M:%S} UTC",
                    until,
                ) from None
            return "429 Too Many Requests", retry_after
        if status >= 500:
            return f"HTTP {status}", self._backoff(attempt)
        hint = f" ({LOGIN_HINT} if this persists)" if status == 401 else ""
        raise RuntimeError(f"Spotify answers {status} to {url}: {message}{hint}") from None

    def _backoff(self, attempt: int) -> float:
        return self.backoff_seconds * 2 ** (attempt - 1)


def _seconds(value: str | None) -> float | None:
    """A Retry-After value in seconds, None when absent or not a number."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def spotify_client(
    manager: spotipy.SpotifyOAuth | spotipy.SpotifyPKCE,
    *,
    api_root: str,
    requests_timeout: float,
    max_retry_after_seconds: float,
    max_attempts: int,
    backoff_seconds: float,
) -> SpotifyClient:
    """A client over a plain ``requests.Session``: spotipy then mounts no urllib3 Retry, so a 429 keeps its headers."""
    spotify = spotipy.Spotify(
        auth_manager=CachedTokenOnly(manager), requests_session=requests.Session(), requests_timeout=requests_timeout
    )
    spotify.prefix = f"{api_root}/"
    return SpotifyClient(
        spotify,
        max_retry_after_seconds=max_retry_after_seconds,
        max_attempts=max_attempts,
        backoff_seconds=backoff_seconds,
    )
