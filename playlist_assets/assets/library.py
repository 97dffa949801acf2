"""Assets about the whole library rather than one playlist."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.sources import PlaylistSource
from playlist_assets.sources.spotify_client import SpotifyLoginRequired, SpotifyRateLimited, SpotifyRefused

GROUP = "playlists"

#: The pool of every step that calls an external service (the source or a feature provider), so that
#: parallel runs stay under its rate limits; its limit is set in dagster.yaml (concurrency.pools).
SPOTIFY_POOL = "spotify_api"

#: The retries of a step that calls an external service, after an error its client's own retries did not overcome
#: (Spotify kept answering 5xx, timeouts): about 1 s, then about 3 s later (exponential backoff, jitter of ±1 s).
NETWORK_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=1, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

#: Settings of the assets that call external services (the source or a feature provider).
CALLS_SERVICES = {"pool": SPOTIFY_POOL, "retry_policy": NETWORK_RETRY_POLICY}

#: Errors that retrying cannot fix: a rate limit beyond the cap (its message says when to try again), no login,
#: a refusal (403/404) or a playlist the source does not have, a bad partition key or malformed data.
LASTING_ERRORS = (SpotifyRateLimited, SpotifyLoginRequired, SpotifyRefused, LookupError, ValueError)


@contextmanager
def retried_only_when_transient() -> Iterator[None]:
    """Fails the step at once, bypassing its RetryPolicy, on one of the ``LASTING_ERRORS``.

    Such an error may also come as the cause of a ``dg.Failure`` (a step over several playlists raises one).
    """
    try:
        yield
    except Exception as error:
        cause = error.__cause__ if isinstance(error, dg.Failure) else error
        if isinstance(cause, LASTING_ERRORS):
            raise dg.Failure(str(error), allow_retries=False) from cause
        raise


@dataclass(frozen=True)
class LikedSongsUnreadable:
    """The value of liked_tracks when Liked Songs could not be read: the pages are written without hearts."""

    reason: str


def liked_fingerprint(liked: frozenset[str] | LikedSongsUnreadable) -> str:
    """A short digest of a set of track ids (equal digests, same Liked Songs); "unreadable" when they were not."""
    if isinstance(liked, LikedSongsUnreadable):
        return "unreadable"
    return hashlib.sha1("\n".join(sorted(liked)).encode()).hexdigest()[:16]


@dg.asset(group_name=GROUP, kinds={"spotify"}, **CALLS_SERVICES)
def liked_tracks(context: dg.AssetExecutionContext, source: PlaylistSource) -> dg.Output:
    """Ids of the tracks in the user's Liked Songs: the 💚 column of every page.

    When they cannot be read (after the retries of a transient fault), a ``LikedSongsUnreadable`` with the
    reason: every page is still written, without hearts, and says why. A long rate limit fails the step
    instead (no Spotify call is made until it ends, see ``rate_limit``).
    """
    try:
        rate_limit.check(context.instance)
        liked = source.liked_track_ids()
    except SpotifyRateLimited as error:
        rate_limit.remember(context.instance, error.until)
        raise dg.Failure(str(error), allow_retries=False) from error
    except Exception as error:
        if not isinstance(error, LASTING_ERRORS) and context.retry_number < NETWORK_RETRY_POLICY.max_retries:
            raise
        context.log.warning(f"Liked Songs could not be read: {error}")
        liked = LikedSongsUnreadable(str(error))
        return dg.Output(liked, metadata={"unreadable": liked.reason, "fingerprint": liked_fingerprint(liked)})
    return dg.Output(liked, metadata={"dagster/row_count": len(liked), "fingerprint": liked_fingerprint(liked)})
