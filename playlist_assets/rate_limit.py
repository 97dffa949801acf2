"""A long Spotify rate limit, remembered in the Dagster instance so that every later refresh waits it out.

When Spotify answers 429 with a Retry-After beyond the source's cap, the refresh stops calling Spotify and the
time it may call again ("not before") is kept in the instance's key-value storage (beside the daemons' cursors,
so on Postgres when the instance is). The command line, the sensor, the schedule and the steps that call
Spotify make their calls through ``call_spotify``, which reads it first and skips Spotify until then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import dagster as dg

from playlist_assets.sources.spotify_client import SpotifyRateLimited

#: Key of the "not before" time (ISO 8601, UTC) in the instance's key-value storage.
NOT_BEFORE_KEY = "playlist_assets/spotify_not_before"

T = TypeVar("T")


def remember(instance: dg.DagsterInstance, until: datetime) -> None:
    """Keep ``until`` as the time before which no refresh calls Spotify (a later time already kept wins)."""
    if (known := not_before(instance)) is None or until > known:
        instance.run_storage.set_cursor_values({NOT_BEFORE_KEY: until.astimezone(UTC).isoformat()})


def not_before(instance: dg.DagsterInstance) -> datetime | None:
    """The time kept by ``remember``, or None."""
    value = instance.run_storage.get_cursor_values({NOT_BEFORE_KEY}).get(NOT_BEFORE_KEY)
    return datetime.fromisoformat(value) if value else None


def waiting_until(instance: dg.DagsterInstance) -> datetime | None:
    """The kept time when it is still ahead, else None."""
    until = not_before(instance)
    return until if until is not None and until > datetime.now(UTC) else None


def waiting_message(until: datetime) -> str:
    """The one line that says why Spotify is not called and until when."""
    return f"Spotify asked this app to wait: no Spotify request before {until:%Y-%m-%d %H:%M:%S} UTC"


def check(instance: dg.DagsterInstance) -> None:
    """Raise ``SpotifyRateLimited``, saying until when, while a kept rate limit holds."""
    if (until := waiting_until(instance)) is not None:
        raise SpotifyRateLimited(waiting_message(until), until)


def call_spotify(instance: dg.DagsterInstance, call: Callable[[], T]) -> T:
    """``call()``, unless a rate limit kept in the instance still holds; a new one it meets is kept.

    Either way it raises ``SpotifyRateLimited``, whose ``until`` says when to try again (see ``waiting_message``).
    """
    check(instance)
    try:
        return call()
    except SpotifyRateLimited as error:
        remember(instance, error.until)
        raise
