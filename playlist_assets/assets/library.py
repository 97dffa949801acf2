"""Assets about the whole library rather than one playlist."""

import dagster as dg

from playlist_assets.sources import PlaylistSource

GROUP = "playlists"


@dg.asset(group_name=GROUP, kinds={"spotify"})
def liked_tracks(source: PlaylistSource) -> dg.Output[frozenset]:
    """Ids of the tracks in the user's Liked Songs: the 💚 column of every page."""
    liked = source.liked_track_ids()
    return dg.Output(liked, metadata={"dagster/row_count": len(liked)})
