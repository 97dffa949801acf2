"""Features measured on each track's 30-second Deezer preview (``preview analysis``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr

from playlist_assets.analysis.vocabulary import PREVIEW_COLUMNS
from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.deezer import API_ROOT, UNUSABLE, DeezerClient, PreviewMissing, RateLimiter, Reach, Wanted
from playlist_assets.features.preview_analysis import UnusableAudio, describe_clip
from playlist_assets.model import WHY_MISSING

PREVIEW_SOURCE = "preview analysis"

log = dg.get_dagster_logger(__name__)


class PreviewFeatures(FeatureProvider):
    """Finds each track on Deezer (by ISRC, else by a strict artist and title search), downloads its preview,
    measures ``PREVIEW_COLUMNS`` on it in memory and keeps no audio.

    ``workers`` tracks are handled at once; Deezer's API is asked at most ``requests_per_window`` times in
    ``window_seconds``. Tracks without a preview are absent from the answer; ``attrs[WHY_MISSING]`` gives
    the reason for each (``features.deezer``'s reasons). Every request and download gives up after
    ``timeout_seconds``; when Deezer answers none of several in a row, it raises ``ServiceUnreachable``.
    """

    api_root: str = API_ROOT
    timeout_seconds: float = 10.0
    workers: int = 8
    requests_per_window: int = 50
    window_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 5.0
    duration_tolerance_seconds: float = 3.0

    _limiter: RateLimiter | None = PrivateAttr(default=None)
    _reach: Reach = PrivateAttr(default_factory=Reach)

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        client = self._client()
        wanted = {track_id: _wanted(row) for track_id, row in tracks.iterrows()}
        with ThreadPoolExecutor(max_workers=max(1, self.workers), thread_name_prefix="preview") as pool:
            results = dict(zip(wanted, pool.map(lambda w: _measured(client, w), wanted.values())))
        found = {track_id: result for track_id, result in results.items() if isinstance(result, dict)}
        misses = {track_id: result for track_id, result in results.items() if isinstance(result, str)}
        if misses:
            log.info("preview analysis: %d of %d tracks without a preview (%s)", len(misses), len(tracks),
                     ", ".join(f"{reason} {n}" for reason, n in pd.Series(misses).value_counts().items()))
        columns = list(PREVIEW_COLUMNS)
        index = pd.Index(list(found), name="track_id", dtype="str")
        answer = pd.DataFrame(list(found.values()), index=index, columns=columns, dtype="float64")
        answer = answer.assign(source=PREVIEW_SOURCE)
        answer.attrs[WHY_MISSING] = misses
        return answer

    def _client(self) -> DeezerClient:
        if self._limiter is None:  # one limiter per resource instance: shared by every playlist of the process
            self._limiter = RateLimiter(self.requests_per_window, self.window_seconds)
        return DeezerClient(
            self.api_root,
            self._limiter,
            self._reach,
            timeout_seconds=self.timeout_seconds,
            attempts=self.attempts,
            backoff_seconds=self.backoff_seconds,
            duration_tolerance_seconds=self.duration_tolerance_seconds,
        )


def _wanted(row: pd.Series) -> Wanted:
    return Wanted(
        isrc=str(row.get("isrc") or "").strip().upper(),
        title=str(row.get("name") or ""),
        artists=tuple(row.get("artists") or ()),
        duration_seconds=float(row.get("duration_ms") or 0) / 1000,
    )


def _measured(client: DeezerClient, wanted: Wanted) -> dict[str, float] | str:
    """The descriptors of the track's preview, or the reason it has none."""
    try:
        return describe_clip(client.preview(wanted))
    except PreviewMissing as missing:
        return missing.reason
    except UnusableAudio:
        return UNUSABLE
