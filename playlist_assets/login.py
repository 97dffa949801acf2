"""``playlist-assets login``: authorize the app once in the browser, outside of any run."""

import secrets
import sys
import time
import webbrowser
from http.server import HTTPServer
from urllib.parse import urlsplit

import spotipy
from spotipy.exceptions import SpotifyOauthError, SpotifyStateError
from spotipy.oauth2 import start_local_http_server

from playlist_assets.sources.spotify import SpotifySource
from playlist_assets.sources.spotify_client import SCOPES, WRITE_SCOPE
from playlist_assets.writers.spotify import publish_mode


def login(source: SpotifySource, open_browser: bool = True, timeout_seconds: float = 300.0) -> str:
    """Runs the authorization-code flow (PKCE without a client secret) through a one-shot server on the
    redirect URI's 127.0.0.1 port; caches the token (mode 0600) and the user's id. Returns a one-line message.

    Asks to write private playlists too when PLAYLIST_ASSETS_PUBLISH=spotify, and only then."""
    writes = publish_mode() == "spotify"
    manager = source.auth_manager(scope=f"{SCOPES} {WRITE_SCOPE}" if writes else SCOPES)
    state = secrets.token_urlsafe(16)
    authorize_url = manager.get_authorize_url(state=state)
    server = start_local_http_server(urlsplit(source.redirect_uri).port)
    try:
        print(f"Authorize playlist_assets in your browser:\n  {authorize_url}", file=sys.stderr)
        if open_browser:
            webbrowser.open(authorize_url)
        code = _wait_for_code(server, state, timeout_seconds)
    finally:
        server.server_close()
    if isinstance(manager, spotipy.SpotifyOAuth):
        manager.get_access_token(code, as_dict=False, check_cache=False)
    else:
        manager.get_access_token(code, check_cache=False)
    user = source.remember_user()
    name = user["display_name"] or user["id"]
    allowed = ", allowed to write private playlists" if writes else ""
    return f"Logged in to Spotify as {name} ({user['id']}){allowed}; token cached in {source.token_cache()}"


def _wait_for_code(server: HTTPServer, state: str, timeout_seconds: float) -> str:
    """The authorization code that Spotify's redirect brings to ``server``."""
    deadline = time.monotonic() + timeout_seconds
    while server.auth_code is None and server.error is None:  # a stray request (favicon) brings neither
        server.timeout = deadline - time.monotonic()
        if server.timeout <= 0:
            raise SpotifyOauthError(f"No answer from Spotify's redirect within {timeout_seconds:g} s")
        server.handle_request()
    if server.error is not None:
        raise server.error
    if server.state != state:
        raise SpotifyStateError(state, server.state or "")
    return server.auth_code
