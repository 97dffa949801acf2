"""Assets about the whole library rather than one playlist."""

import hashlib

import dagster as dg

from playlist_assets.sources import PlaylistSource

GROUP = "playlists"

#: The pool of every step that calls an external service (the source or a feature provider), so that
#: parallel runs stay under its rate limits; its limit is set in dagster.yaml (concurrency.pools).
SPOTIFY_POOL = "spotify_api"


def liked_fingerprint(liked: frozenset[str]) -> str:
    """A short digest of a set of track ids: equal digests, same Liked Songs."""
    return hashlib.sha1("\n".join(sorted(liked)).encode()).hexdigest()[:16]


@dg.asset(group_name=GROUP, kinds={"spotify"}, pool=SPOTIFY_POOL)
def liked_tracks(source: PlaylistSource) -> dg.Output[frozenset]:
    """Ids of the tracks in the user's Liked Songs: the 💚 column of every page."""
    liked = source.liked_track_ids()
    return dg.Output(liked, metadata={"dagster/row_count": len(liked), "fingerprint": liked_fingerprint(liked)})
