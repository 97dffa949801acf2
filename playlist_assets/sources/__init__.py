"""Where playlists come from: a Source resource per kind of library."""

from playlist_assets.sources.account_export import AccountExportSource
from playlist_assets.sources.base import PlaylistSource
from playlist_assets.sources.demo import DemoSource
from playlist_assets.sources.exportify import ExportifySource

__all__ = ["AccountExportSource", "DemoSource", "ExportifySource", "PlaylistSource"]
