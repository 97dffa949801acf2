"""The write endpoints of the fake Spotify account, answered as Spotify answers a development-mode app in 2026.

    POST   /v1/me/playlists               create (201, the playlist object, owned by the user, in its listing)
    POST   /v1/users/{id}/playlists       403: development-mode apps must use /me/playlists
    PUT    /v1/playlists/{id}/items       replace the whole list (at most 100 uris, else 400) -> snapshot_id
    POST   /v1/playlists/{id}/items       append, or insert at ``position`` (at most 100 uris, else 400) -> snapshot_id
    PUT    /v1/playlists/{id}             change name, description, public
    DELETE /v1/playlists/{id}/followers   unfollow: gone from the listing (still served by id, as Spotify does)

Every write needs ``playlist-modify-private`` among ``granted_scopes`` (else 403 "Insufficient client scope");
contents and details only of playlists the user owns (contents also of collaborative ones), else 403.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from playlist_assets_tests.stub_http import StubRequest, StubResponse

#: The scope every write needs.
WRITE_SCOPE = "playlist-modify-private"

#: Most uris one request may add or put.
MOST_URIS = 100

_TRACK_URI = re.compile(r"spotify:track:([0-9A-Za-z]+)")


class PlaylistWrites:
    """Mixed into ``FakeSpotifyAccount``: its write endpoints and the counts of its requests."""

    def counts(self, prefix: str = "/v1/") -> Counter[tuple[str, str]]:
        """Requests so far by (method, path), for paths starting with ``prefix``."""
        with self.server._lock:
            return Counter((r.method, r.path) for r in self.server.requests if r.path.startswith(prefix))

    def writes(self) -> list[tuple[str, str]]:
        """The (method, path) of every request that is not a GET to the Web API, in order."""
        with self.server._lock:
            return [(r.method, r.path) for r in self.server.requests if r.method != "GET" and r.path.startswith("/v1/")]

    def owned_by_app(self) -> dict[str, dict]:
        """The followed playlists whose description says that playlist_assets made them, by id."""
        return {
            playlist_id: playlist
            for playlist_id, playlist in self.playlists.items()
            if playlist_id not in self.unfollowed and "playlist_assets" in playlist.get("description", "")
        }

    def track_ids(self, playlist_id: str) -> list[str]:
        """The track ids of a playlist's items, in order."""
        return [(entry.get("item") or entry.get("track") or {}).get("id") for entry in self.items[playlist_id]]

    def _write(self, request: StubRequest) -> StubResponse:
        path, parts = request.path, request.path.strip("/").split("/")
        if request.method == "POST" and len(parts) == 4 and parts[1:4:2] == ["users", "playlists"]:
            return error(403, "Forbidden")  # what a development-mode app gets since 2026
        if WRITE_SCOPE not in self.granted_scopes:
            return error(403, "Insufficient client scope")
        try:
            body = json.loads(request.body) if request.body else {}
        except ValueError:
            return error(400, "Error parsing JSON.")
        if request.method == "POST" and path == "/v1/me/playlists":
            return self._create(body)
        if parts[:2] != ["v1", "playlists"] or len(parts) < 3 or parts[2] not in self.playlists:
            return error(404, "Resource not found")
        playlist_id, rest = parts[2], (request.method, *parts[3:])
        if rest == ("DELETE", "followers"):
            self.unfollowed.add(playlist_id)
            return StubResponse(status=200)
        playlist = self.playlists[playlist_id]
        owned = playlist["owner"]["id"] == self.user_id
        if rest == ("PUT",) and owned:
            playlist.update({key: body[key] for key in ("name", "description", "public") if key in body})
            self._changed(playlist_id)
            return StubResponse(status=200)
        if rest[1:] == ("items",) and request.method in ("PUT", "POST") and (owned or playlist["collaborative"]):
            return self._put_or_add(request, playlist_id, body)
        return error(403, "Forbidden")

    def _create(self, body: dict) -> StubResponse:
        if not isinstance(body.get("name"), str) or not body["name"]:
            return error(400, "Missing required field: name")
        playlist_id = self.add_playlist(body["name"], [])
        playlist = self.playlists[playlist_id]
        playlist.update(description=body.get("description", ""), public=body.get("public", True) is True)
        return StubResponse(status=201, json={**playlist, "followers": {"total": 0}})

    def _put_or_add(self, request: StubRequest, playlist_id: str, body) -> StubResponse:
        uris = body if isinstance(body, list) else body.get("uris")
        if uris is None and "uris" in request.query:
            uris = request.query["uris"].split(",")
        if not isinstance(uris, list):
            return error(400, "No uris given")
        if len(uris) > MOST_URIS:
            return error(400, f"You can add a maximum of {MOST_URIS} tracks per request.")
        matches = [_TRACK_URI.fullmatch(uri) if isinstance(uri, str) else None for uri in uris]
        if not all(matches):
            return error(400, "Invalid track uri")
        entries = [self.catalog_item(match.group(1)) for match in matches]
        if request.method == "PUT":
            self.items[playlist_id] = entries
        else:
            position = request.query.get("position", body.get("position") if isinstance(body, dict) else None)
            at = len(self.items[playlist_id]) if position is None else int(position)
            self.items[playlist_id][at:at] = entries
        self._changed(playlist_id)
        return StubResponse(status=200 if request.method == "PUT" else 201,
                            json={"snapshot_id": self.playlists[playlist_id]["snapshot_id"]})

    def _changed(self, playlist_id: str) -> None:
        """A new snapshot id and item count after a write."""
        playlist = self.playlists[playlist_id]
        version = int(playlist["snapshot_id"].rsplit("-", 1)[1]) + 1
        playlist["snapshot_id"] = f"snap-{playlist_id}-{version}"
        playlist["items"]["total"] = len(self.items[playlist_id])


def error(status: int, message: str) -> StubResponse:
    """An error answer in the Web API's shape."""
    return StubResponse(status=status, json={"error": {"status": status, "message": message}})
