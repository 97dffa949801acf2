"""The interface every playlist source offers to the assets and sensors."""

from __future__ import annotations

import dagster as dg

from playlist_assets.model import PlaylistInfo, PlaylistTracks


class PlaylistSource(dg.ConfigurableResource):
    """A user's library: their playlists, each playlist's tracks, and their Liked Songs."""

    def list_playlists(self) -> list[PlaylistInfo]:
        """Every playlist the user can read, with its current snapshot id."""
        raise NotImplementedError

    def fetch_playlist(self, playlist_id: str) -> PlaylistTracks:
        """The playlist's playable tracks and the items left out, counted by reason."""
        raise NotImplementedError

    def liked_track_ids(self) -> frozenset[str]:
        """Ids of the tracks in the user's Liked Songs."""
        raise NotImplementedError

    def left_out_playlists(self) -> list[tuple[str, str]]:
        """(display name, why) of the playlists the last ``list_playlists`` of this object left out; no request."""
        return []
