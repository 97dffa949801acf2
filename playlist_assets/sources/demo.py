"""The bundled demo library, served through the same Web API parsing as a live account."""

from __future__ import annotations

from playlist_assets.model import PlaylistInfo, PlaylistTracks
from playlist_assets.sources import web_api
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.demo_library import demo_library


class DemoSource(PlaylistSource):
    """A generated library in the Web API's JSON shapes: no credentials, no network."""

    def list_playlists(self) -> list[PlaylistInfo]:
        return web_api.list_playlists(demo_library().get_json)

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        return web_api.fetch_playlist(demo_library().get_json, playlist_id)

    def liked_track_ids(self) -> frozenset[str]:
        return web_api.liked_track_ids(demo_library().get_json)
