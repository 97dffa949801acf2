"""A feature service that cannot be reached: the error a playlist fails with, in words."""

from __future__ import annotations

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError


class ServiceUnreachable(RuntimeError):
    """``service`` at ``root`` gave no answer at all. The feature chain leaves the tracks it was asked about
    unplaced when they are few, and otherwise fails the playlist (its page is kept) until the next refresh."""

    def __init__(self, service: str, root: str, why: str, switch: str):
        super().__init__(
            f"{service} could not be reached at {root}: {why}. The next refresh tries again; "
            f"{switch}=off clusters without it"
        )
        self.reason = f"{service}{UNREACHED}"  # why a track it was asked about has no features


UNREACHED = " could not be reached"  # the end of every ``ServiceUnreachable.reason``


def in_words(error: requests.RequestException, timeout_seconds: float) -> str:
    """Why a request got no answer, as a person reads it."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(reason, NameResolutionError):
        return "its name did not resolve (is this machine offline?)"
    if isinstance(error, requests.ConnectTimeout):
        return f"no connection within {timeout_seconds:g} s"
    if isinstance(error, requests.Timeout):
        return f"no answer within {timeout_seconds:g} s"
    if isinstance(error, requests.exceptions.SSLError):
        return "its certificate could not be verified"
    if isinstance(reason, NewConnectionError) and "refused" in str(reason):
        return "the connection was refused"
    return "the connection was lost"
