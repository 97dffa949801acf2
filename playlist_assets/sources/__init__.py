"""Where playlists come from: a Source resource per kind of library."""

from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.demo import DemoSource

__all__ = ["DemoSource", "PlaylistSource"]
