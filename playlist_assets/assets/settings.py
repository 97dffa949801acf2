"""Settings the assets share: their group, the pool and retries of the steps that call external services, the
errors that retrying cannot fix, how many playlists a backfill run covers, and when the index and library map are
rebuilt."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

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

#: Errors that retrying cannot fix: a rate limit beyond the cap (its message says when to try again), no login,
#: a refusal (403/404) or a playlist the source does not have, a bad partition key or malformed data.
LASTING_ERRORS = (SpotifyRateLimited, SpotifyLoginRequired, SpotifyRefused, LookupError, ValueError)

#: Most playlists in one run of a backfill; set PLAYLIST_ASSETS_PARTITIONS_PER_RUN to change it.
PARTITIONS_PER_RUN = int(os.environ.get("PLAYLIST_ASSETS_PARTITIONS_PER_RUN", "100"))
BACKFILL_POLICY = dg.BackfillPolicy.multi_run(max_partitions_per_run=PARTITIONS_PER_RUN)


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


#: The index and the library map are rebuilt once the pages stop changing: after a page is written (by a run of the
#: sensor, the schedule, a backfill or the UI), when no run is still writing one. Playlists that never got a page do
#: not hold them back.
AFTER_PAGES_CHANGE = (
    (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after pages change")
