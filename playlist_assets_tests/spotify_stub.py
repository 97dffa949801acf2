"""A fake Spotify account on 127.0.0.1 answering in the 2026 Web API shapes, and a SpotifySource logged in to it.

    with FakeSpotifyAccount(user_id="me") as account:
        mine = account.add_playlist("Mine", [track("t1", album_id="al1"), local_item(), None])
        account.add_playlist("Theirs", [track("t2")], owner_id="someone")   # its items answer 403
        account.fail(f"/v1/playlists/{mine}/items", StubResponse(status=500))  # next request only
        source = account.source(tmp_path)   # cached valid token (no login) and cached user id
        source.fetch_playlist(mine)
        assert account.paths("/v1/playlists") == [f"/v1/playlists/{mine}", ...]

Served: GET /v1/me, /v1/me/playlists, /v1/playlists/{id} (its first 100 items inside; ``fields`` filters it),
/v1/playlists/{id}/items (403 unless owned by the user
or collaborative), /v1/me/tracks (``account.liked``), /v1/albums/{id} (``add_album``, else 404),
/v1/audio-features?ids= (``account.audio_features`` when ``extended_quota``, else 403), and POST /api/token
(refresh and code exchange: issues a new access token). Pages: ``offset``/``limit`` (default 20, max 50) with
absolute ``next`` links. /v1 requests without ``Bearer <account.access_token>`` get 401. The write endpoints, and
``counts()``/``writes()`` of the requests: see spotify_stub_writes.py.

Faults: ``fail(path, *responses)`` answers the next requests to ``path`` (exact, no query) with ``responses`` in
order, then normally again (a ``StubResponse(delay=...)`` longer than the timeout provokes a client timeout);
``method=`` limits that to one method, ``applied=True`` carries each request out before answering it so (a write
that happened though its answer says otherwise); ``refuse(prefix, status)`` answers every path starting with
``prefix`` with ``status``.
"""

import itertools
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import parse_qs

from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.sources.spotify_client import SCOPES
from playlist_assets_tests.spotify_stub_writes import WRITE_SCOPE, PlaylistWrites
from playlist_assets_tests.spotify_stub_writes import error as _error
from playlist_assets_tests.stub_http import StubRequest, StubResponse, StubServer

PAGE_DEFAULT, PAGE_MAX = 20, 50

#: Items of the first page inside a full playlist object (``/playlists/{id}`` without ``fields``).
FULL_PLAYLIST_ITEMS = 100


def track(track_id: str, name: str = "", *, album_id: str = "", album_name: str = "", artist: str = "Artist") -> dict:
    """A track object as playlist items carry it (simplified album: no label)."""
    album_id = album_id or f"al-{track_id}"
    return {
        "id": track_id,
        "name": name or f"Track {track_id}",
        "type": "track",
        "is_local": False,
        "duration_ms": 180_000,
        "explicit": False,
        "album": {
            "id": album_id,
            "name": album_name or f"Album {album_id}",
            "release_date": "2020-01-01",
            "images": [{"url": f"https://i.scdn.co/image/{album_id}", "height": 640, "width": 640}],
        },
        "artists": [{"id": f"ar-{artist}", "name": artist}],
        "external_ids": {"isrc": f"ISRC{track_id}"},
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
    }


def item(entity: dict | None, added_at: str = "2026-01-01T00:00:00Z") -> dict:
    """A playlist item: the entity under ``item`` and under its deprecated alias ``track``."""
    return {"added_at": added_at, "added_by": {"id": "me"}, "is_local": False, "item": entity, "track": entity}


def local_item(name: str = "Garage demo") -> dict:
    return {**item({**track("", name), "id": None, "is_local": True}), "is_local": True}


def episode_item(episode_id: str = "ep1") -> dict:
    return item({"id": episode_id, "name": "An episode", "type": "episode", "duration_ms": 1_000_000})


class FakeSpotifyAccount(PlaylistWrites):
    """One user's library behind a StubServer; see the module docstring. Use as a context manager."""

    def __init__(self, user_id: str = "me", display_name: str = "Me Myself"):
        self.user_id = user_id
        self.display_name = display_name
        self.client_secret = "fake-client-secret-" + secrets.token_hex(8)
        self.access_token = "fake-access-token-" + secrets.token_hex(8)
        self.refresh_token = "fake-refresh-token-" + secrets.token_hex(8)
        self.playlists: dict[str, dict] = {}  # id -> simplified playlist object
        self.items: dict[str, list] = {}  # playlist id -> its items
        self.liked: list[dict] = []  # track objects, newest first
        self.albums: dict[str, dict] = {}  # id -> full album object
        self.extended_quota = False
        self.audio_features: dict[str, dict] = {}  # track id -> audio-features object
        self.granted_scopes = {*SCOPES.split(), WRITE_SCOPE}  # of the access token; login grants what it asks
        self.unfollowed: set[str] = set()  # playlist ids the user unfollowed (gone from the listing)
        self.catalog: dict[str, dict] = {}  # track id -> track object, of every playlist added
        self._numbers = itertools.count()  # of the playlists added, for their ids
        self._faults: dict[tuple[str, str], deque[tuple[StubResponse, bool]]] = defaultdict(deque)
        self._refusals: dict[str, int] = {}
        self._lock = threading.Lock()
        self.server = StubServer(self._answer)

    def __enter__(self) -> "FakeSpotifyAccount":
        self.server.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.__exit__(*exc_info)

    @property
    def api_root(self) -> str:
        return f"{self.server.url}/v1"

    def add_playlist(
        self, name: str, entries: list, *, owner_id: str = "", collaborative: bool = False, playlist_id: str = ""
    ) -> str:
        """Adds a playlist of ``entries`` (track objects, ready items, or None); returns its id."""
        playlist_id = playlist_id or f"pl{next(self._numbers):020d}"  # 22 base62 characters
        owner_id = owner_id or self.user_id
        self.playlists[playlist_id] = {
            "id": playlist_id,
            "name": name,
            "snapshot_id": f"snap-{playlist_id}-1",
            "description": "",
            "collaborative": collaborative,
            "public": False,
            "owner": {"id": owner_id, "display_name": owner_id.title(), "type": "user"},
            "items": {"href": f"{self.api_root}/playlists/{playlist_id}/items", "total": len(entries)},
            "type": "playlist",
        }
        self.items[playlist_id] = [
            entry if entry is None or "item" in entry or "track" in entry else item(entry) for entry in entries
        ]
        for entry in self.items[playlist_id]:
            entity = entry and (entry.get("item") or entry.get("track"))
            if entity and entity.get("type") == "track" and entity.get("id"):
                self.catalog.setdefault(entity["id"], entity)
        return playlist_id

    def catalog_item(self, track_id: str) -> dict:
        """A playlist item of the track ``track_id``: as a playlist added it, else a made-up track object."""
        return item(self.catalog.get(track_id) or track(track_id))

    def add_album(self, album_id: str, label: str | None = None) -> None:
        """Serves ``/albums/{album_id}``; ``label=None`` leaves the field out, as development-mode apps get it."""
        album = {"id": album_id, "name": f"Album {album_id}", "type": "album", "release_date": "2020-01-01"}
        self.albums[album_id] = album if label is None else {**album, "label": label}

    def fail(self, path: str, *responses: StubResponse, method: str = "", applied: bool = False) -> None:
        with self._lock:
            self._faults[method, path].extend((response, applied) for response in responses)

    def refuse(self, prefix: str, status: int = 403) -> None:
        self._refusals[prefix] = status

    def paths(self, prefix: str = "") -> list[str]:
        """Paths requested so far (optionally only those starting with ``prefix``), in order."""
        return [path for path in self.server.paths() if path.startswith(prefix)]

    def source(self, folder: Path, *, user_id_cached: bool = True, **fields) -> SpotifySource:
        """A SpotifySource on this account, with a valid cached token in ``folder``; ``fields`` override defaults."""
        settings = dict(
            client_id="fake-client-id",
            client_secret=self.client_secret,
            redirect_uri="http://127.0.0.1:8888/callback",
            token_cache_path=str(Path(folder) / "config" / "spotify_token.json"),
            api_root=self.api_root,
            accounts_root=self.server.url,
            cache_dir=str(Path(folder) / "cache"),
            max_retry_after_seconds=5.0,
            max_attempts=4,
            backoff_seconds=0.01,
            requests_timeout=2.0,
        )
        source = SpotifySource(**{**settings, **fields})
        token = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "expires_at": int(time.time()) + 3600,
            "refresh_token": self.refresh_token,
            "scope": SCOPES,
        }
        source.token_cache().parent.mkdir(parents=True, exist_ok=True)
        source.token_cache().write_text(json.dumps(token), encoding="utf-8")
        if user_id_cached:
            source.user_file().write_text(json.dumps({"id": self.user_id, "display_name": self.display_name}))
        return source

    def _answer(self, request: StubRequest) -> StubResponse:
        with self._lock:
            queued = self._faults.get((request.method, request.path)) or self._faults.get(("", request.path))
            fault, applied = queued.popleft() if queued else (None, False)
        if fault is not None:
            if applied:
                self._answer_normally(request)
            return fault
        return self._answer_normally(request)

    def _answer_normally(self, request: StubRequest) -> StubResponse:
        for prefix, status in self._refusals.items():
            if request.path.startswith(prefix):
                return _error(status, "Forbidden" if status == 403 else "Refused")
        if request.method == "POST" and request.path == "/api/token":
            return self._token(request)
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return _error(401, "Invalid access token")
        return self._get(request) if request.method == "GET" else self._write(request)

    def _get(self, request: StubRequest) -> StubResponse:
        path, parts = request.path, request.path.strip("/").split("/")
        if path == "/v1/me":
            return StubResponse(json={"id": self.user_id, "display_name": self.display_name, "type": "user"})
        if path == "/v1/me/playlists":
            return self._page(request, [p for i, p in self.playlists.items() if i not in self.unfollowed])
        if path == "/v1/me/tracks":
            return self._page(request, [{"added_at": "2026-01-01T00:00:00Z", "track": t} for t in self.liked])
        if parts[:2] == ["v1", "playlists"] and len(parts) >= 3 and parts[2] in self.playlists:
            playlist = self.playlists[parts[2]]
            if len(parts) == 3:
                first_page = self._page(request, self.items[parts[2]], embedded=True).json
                full = {**playlist, "followers": {"total": 0}, "items": first_page}
                return StubResponse(json=_only(full, request.query["fields"]) if "fields" in request.query else full)
            if parts[3:] == ["items"]:
                if playlist["owner"]["id"] != self.user_id and not playlist["collaborative"]:
                    return _error(403, "Forbidden")
                return self._page(request, self.items[parts[2]])
        if parts[:2] == ["v1", "albums"] and len(parts) == 3 and parts[2] in self.albums:
            return StubResponse(json=self.albums[parts[2]])
        if path == "/v1/audio-features":
            if not self.extended_quota:
                return _error(403, "Forbidden")
            ids = request.query.get("ids", "").split(",")
            return StubResponse(json={"audio_features": [self.audio_features.get(i) for i in ids]})
        return _error(404, "Non existing id")

    def _page(self, request: StubRequest, entries: list, embedded: bool = False) -> StubResponse:
        """A page of ``entries`` as ``offset``/``limit`` ask; ``embedded``: the first page inside a playlist object."""
        offset = 0 if embedded else int(request.query.get("offset", 0))
        limit = FULL_PLAYLIST_ITEMS if embedded else int(request.query.get("limit", PAGE_DEFAULT))
        if not 1 <= limit <= PAGE_MAX and not embedded:
            return _error(400, "Invalid limit")
        following = offset + limit
        url = f"{self.server.url}{request.path}" + ("/items" if embedded else "")
        return StubResponse(
            json={
                "href": f"{url}?offset={offset}&limit={limit}",
                "items": entries[offset:following],
                "limit": limit,
                "offset": offset,
                "total": len(entries),
                "next": f"{url}?offset={following}&limit={limit}" if following < len(entries) else None,
                "previous": None,
            }
        )

    def _token(self, request: StubRequest) -> StubResponse:
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") == "refresh_token" and form.get("refresh_token") != self.refresh_token:
            return StubResponse(status=400, json={"error": "invalid_grant", "error_description": "Bad refresh token"})
        self.access_token = "fake-access-token-" + secrets.token_hex(8)
        if form.get("grant_type") == "authorization_code":
            self.granted_scopes = set(form.get("scope", "").split())
        return StubResponse(
            json={
                "access_token": self.access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": self.refresh_token,
                "scope": SCOPES,
            }
        )


def _only(document: dict, fields: str) -> dict:
    """``document`` filtered by a ``fields`` parameter such as ``id,name,owner(id,display_name),items(total)``."""
    kept = {}
    for field in re.findall(r"[^,(]+(?:\([^)]*\))?", fields):
        name, _, inner = field.partition("(")
        if name in document:
            value = document[name]
            kept[name] = {key: value[key] for key in inner.rstrip(")").split(",") if key in value} if inner else value
    return kept
