"""A live Spotify account through the Web API (2026 development-mode rules), logged in once outside of runs."""

import dataclasses
import json
from pathlib import Path

import dagster as dg
import pandas as pd
import spotipy
from pydantic import Field, PrivateAttr

from playlist_assets.cache import JsonCache
from playlist_assets.model import PlaylistInfo, PlaylistTracks, owners_or_short_ids, told_apart
from playlist_assets.sources import web_api
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.spotify_client import (
    SCOPES,
    SpotifyClient,
    SpotifyRefused,
    auth_manager,
    cache_dir,
    config_dir,
    spotify_client,
    write_private,
)

#: Key of the label cache recording that this app gets no labels (403/404, or album objects without the field).
NO_LABELS = "(no labels for this app)"

UNREADABLE = "Spotify answers 403 to this playlist's items: only playlists you own or collaborate on can be read"

#: Why a playlist of the listing is not one of the library's.
NOT_OWNED = "not owned or collaborative"

#: How long the listing kept on disk names a playlist's snapshot for the runs that fetch its items.
LISTING_MAX_AGE_DAYS = 1.0

log = dg.get_dagster_logger(__name__)


class SpotifySource(PlaylistSource):
    """The logged-in user's playlists (owned or collaborative), their tracks and Liked Songs.

    Needs a token cached by ``playlist-assets login``; a run never opens a browser or prompts.
    """

    client_id: str = Field(description="Client id of your app on developer.spotify.com.")
    client_secret: str = Field(default="", description="Client secret; empty: PKCE flow (no secret).")
    redirect_uri: str = Field(
        default="http://127.0.0.1:8888/callback",
        description="Redirect URI registered for the app: http://127.0.0.1:<port>/... ('localhost' is refused).",
    )
    token_cache_path: str = Field(
        default="", description="Token cache file; empty: $XDG_CONFIG_HOME/playlist_assets/spotify_token.json."
    )
    api_root: str = Field(default=web_api.API_ROOT, description="Web API root ($SPOTIFY_API_ROOT).")
    accounts_root: str = Field(
        default="https://accounts.spotify.com", description="Accounts service root ($SPOTIFY_ACCOUNTS_ROOT)."
    )
    cache_dir: str = Field(
        default="", description="Folder of the album-label cache; empty: $XDG_CACHE_HOME/playlist_assets."
    )
    look_up_labels: bool = Field(default=True, description="Ask /albums/{id} for labels the tracks lack.")
    max_retry_after_seconds: float = Field(
        default=60.0, description="Longest 429 Retry-After to wait out; a longer one fails the request at once."
    )
    max_attempts: int = Field(default=5, description="Tries per request (429, 5xx, timeouts, connection errors).")
    backoff_seconds: float = Field(default=1.0, description="First wait after a 5xx or timeout; doubles each time.")
    requests_timeout: float = Field(default=10.0, description="Seconds to wait for each answer.")

    _client: SpotifyClient | None = PrivateAttr(default=None)
    _user_id: str = PrivateAttr(default="")
    _left_out: list[tuple[str, str]] = PrivateAttr(default_factory=list)

    def token_cache(self) -> Path:
        if self.token_cache_path:
            return Path(self.token_cache_path).expanduser()
        return config_dir() / "spotify_token.json"

    def user_file(self) -> Path:
        """Where the user's id is kept, beside the token cache."""
        token = self.token_cache()
        return token.with_name(f"{token.stem}.user.json")

    def auth_manager(self, scope: str = SCOPES) -> spotipy.SpotifyOAuth | spotipy.SpotifyPKCE:
        """spotipy's SpotifyOAuth (with a client secret) or SpotifyPKCE, caching the token with mode 0600."""
        return auth_manager(
            scope=scope,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=self.redirect_uri,
            token_cache_path=self.token_cache(),
            accounts_root=self.accounts_root,
            requests_timeout=self.requests_timeout,
        )

    def client(self) -> SpotifyClient:
        """The client of every request of this source (the reads, and the writes of publishing), made on first use."""
        if self._client is None:
            self._client = spotify_client(
                self.auth_manager(),
                api_root=self.api_root,
                requests_timeout=self.requests_timeout,
                max_retry_after_seconds=self.max_retry_after_seconds,
                max_attempts=self.max_attempts,
                backoff_seconds=self.backoff_seconds,
            )
        return self._client

    def get_json(self, url: str) -> dict:
        """The JSON object at an absolute Web API URL (see ``SpotifyClient`` for retries and errors)."""
        return self.client().get_json(url)

    def user_id(self) -> str:
        """The user's Spotify id: from the file written at login, else from ``/me`` (then kept in that file)."""
        if not self._user_id:
            try:
                self._user_id = json.loads(self.user_file().read_text(encoding="utf-8"))["id"]
            except (OSError, ValueError, KeyError, TypeError):
                self._user_id = self.remember_user()["id"]
        return self._user_id

    def remember_user(self) -> dict:
        """``/me`` (id and display name), written beside the token cache."""
        url = f"{self.api_root}/me"
        me = self.get_json(url)
        if not isinstance(me.get("id"), str) or not me["id"]:
            raise ValueError(f"{url}: no user 'id'")
        user = {"id": me["id"], "display_name": me.get("display_name") or ""}
        write_private(self.user_file(), json.dumps(user))
        self._user_id = user["id"]
        return user

    def list_playlists(self) -> list[PlaylistInfo]:
        """The playlists the user owns or that are collaborative; the others are left out (see ``left_out_playlists``).

        Names that read the same are told apart among the playlists kept (their pages) and among all (the left-out
        list). The listing is kept on disk, so that fetching a playlist's items needs no request for its name.
        """
        user_id = self.user_id()
        playlists = web_api.list_playlists(self.get_json, self.api_root)
        readable = told_apart([p for p in playlists if p.owner_id == user_id or p.collaborative], owners_or_short_ids)
        kept = {playlist.id for playlist in readable}
        others = told_apart(playlists, owners_or_short_ids)  # names told apart among every playlist listed
        self._left_out = [(playlist.display_name, NOT_OWNED) for playlist in others if playlist.id not in kept]
        if self._left_out:
            log.info(
                "Left out %d playlists you neither own nor collaborate on (Spotify does not serve their items): %s",
                len(self._left_out),
                ", ".join(name for name, _ in self._left_out),
            )
        self.cache("listing", LISTING_MAX_AGE_DAYS).put_many({p.id: dataclasses.asdict(p) for p in readable})
        return readable

    def left_out_playlists(self) -> list[tuple[str, str]]:
        return list(self._left_out)

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        """The playlist's tracks, labels looked up per album; a playlist Spotify will not serve is ``unreadable``.

        Its name, snapshot and size come from the last listing: an empty playlist costs no request, and only a
        playlist missing from the listing costs one more (``/playlists/{id}`` without its items).
        """
        info = self._listed(playlist_id)
        if info and info.total_items == 0:
            return PlaylistTracks(info, web_api.track_frame({}))  # the listing says so: no request
        info = info or web_api.fetch_playlist_info(self.get_json, playlist_id, self.api_root, without_items=True)
        try:
            playlist, album_ids = web_api.fetch_playlist_items(self.get_json, info, self.api_root)
        except SpotifyRefused as refusal:
            if refusal.status != 403:
                raise
            return PlaylistTracks(info, web_api.track_frame({}), unreadable=UNREADABLE)
        return self._with_labels(playlist, album_ids) if self.look_up_labels else playlist

    def _listed(self, playlist_id: str) -> PlaylistInfo | None:
        """The playlist as the last listing (kept on disk for a day) gave it; None when it is not there."""
        listed = self.cache("listing", LISTING_MAX_AGE_DAYS).get_many([playlist_id]).get(playlist_id)
        try:
            return PlaylistInfo(**listed) if isinstance(listed, dict) else None
        except TypeError:  # kept by another version of this project
            return None

    def cache(self, name: str, max_age_days: float = 90.0) -> JsonCache:
        """The cache ``name`` of this app, in ``cache_dir``."""
        folder = Path(self.cache_dir).expanduser() if self.cache_dir else cache_dir()
        return JsonCache(folder / f"{name}.sqlite", max_age_days)

    def liked_track_ids(self) -> frozenset[str]:
        return web_api.liked_track_ids(self.get_json, self.api_root)

    def _with_labels(self, playlist: PlaylistTracks, album_ids: dict[str, str]) -> PlaylistTracks:
        """``playlist`` with the empty labels filled in from the albums' own objects."""
        labels = playlist.tracks["label"]
        lacking = {album_ids[track_id] for track_id in labels.index[labels == ""] if album_ids.get(track_id)}
        if not lacking:
            return playlist
        found = self._album_labels(lacking)
        filled = [label or found.get(album_ids.get(track_id, ""), "") for track_id, label in labels.items()]
        tracks = playlist.tracks.assign(label=pd.Series(filled, index=labels.index, dtype=labels.dtype))
        return dataclasses.replace(playlist, tracks=tracks)

    def _album_labels(self, album_ids: set[str]) -> dict[str, str]:
        """Label by album id ("" for none): cached ones, then ``/albums/{id}`` one by one.

        The first refusal (403/404), or an album object without a ``label`` field (what development-mode apps
        get), means this app gets no labels: that is cached too, and no album is asked for again.
        """
        cache = self.cache("album_labels")
        labels = cache.get_many([*album_ids, NO_LABELS])
        if labels.pop(NO_LABELS, False):
            return labels
        asked: dict[str, str | bool] = {}
        try:
            for album_id in sorted(album_ids - labels.keys()):
                try:
                    album = self.get_json(f"{self.api_root}/albums/{album_id}")
                except SpotifyRefused as refusal:
                    log.warning("%s; this app gets no album labels, not asking again", refusal)
                    asked[NO_LABELS] = True
                    break
                if "label" not in album:
                    log.info("Spotify's album objects carry no 'label' for this app; not asking again")
                    asked[NO_LABELS] = True
                    break
                asked[album_id] = album["label"] if isinstance(album["label"], str) else ""
        finally:
            cache.put_many(asked)
        asked.pop(NO_LABELS, None)
        return labels | asked
