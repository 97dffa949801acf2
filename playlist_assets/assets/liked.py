"""liked_tracks: the user's Liked Songs, read once for the whole library."""

import hashlib
from dataclasses import dataclass

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.assets.settings import GROUP, LASTING_ERRORS, NETWORK_RETRY_POLICY, SPOTIFY_POOL
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources.spotify_client import SpotifyRateLimited


@dataclass(frozen=True)
class LikedSongsUnreadable:
    """The value of liked_tracks when Liked Songs could not be read: the pages are written without hearts."""

    reason: str


#: The value of liked_tracks: the track ids, or why they could not be read.
LikedSongs = frozenset[str] | LikedSongsUnreadable

#: The liked_tracks input of the pages, checked as a ``LikedSongs`` (Dagster cannot check a Union annotation itself).
LIKED_SONGS = dg.AssetIn(
    dagster_type=dg.DagsterType(
        lambda _, value: isinstance(value, (frozenset, LikedSongsUnreadable)),
        name="LikedSongs",
        description="The ids of the tracks in Liked Songs, or why they could not be read",
    )
)


def liked_fingerprint(liked: LikedSongs) -> str:
    """A short digest of a set of track ids (equal digests, same Liked Songs); "unreadable" when they were not."""
    if isinstance(liked, LikedSongsUnreadable):
        return "unreadable"
    return hashlib.sha1("\n".join(sorted(liked)).encode()).hexdigest()[:16]


@dg.asset(group_name=GROUP, kinds={"spotify"}, pool=SPOTIFY_POOL, retry_policy=NETWORK_RETRY_POLICY)
def liked_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> dg.Output:
    """Ids of the tracks in the user's Liked Songs: the 💚 column of every page.

    When they cannot be read (after the retries of a transient fault), a ``LikedSongsUnreadable`` with the
    reason: every page is still written, without hearts, and says why. A long rate limit fails the step
    instead (no Spotify call is made until it ends, see ``rate_limit``).
    """
    try:
        liked = rate_limit.call_spotify(context.instance, source.liked_track_ids)
    except SpotifyRateLimited as error:
        raise dg.Failure(str(error), allow_retries=False) from error
    except Exception as error:
        if not isinstance(error, LASTING_ERRORS) and context.retry_number < NETWORK_RETRY_POLICY.max_retries:
            raise
        context.log.warning(f"Liked Songs could not be read: {error}")
        liked = LikedSongsUnreadable(str(error))
        return dg.Output(liked, metadata={"unreadable": liked.reason, "fingerprint": liked_fingerprint(liked)})
    return dg.Output(liked, metadata={"dagster/row_count": len(liked), "fingerprint": liked_fingerprint(liked)})
