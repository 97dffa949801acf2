"""Audio features from ReccoBeats (free, no key), by Spotify track id."""

from __future__ import annotations

import importlib.metadata
import re
import time

import pandas as pd
import requests

from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.unreachable import ServiceUnreachable, in_words
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

RECCOBEATS_SOURCE = "reccobeats"

#: Most track ids one ``/audio-features`` request accepts (more: "size must be between 1 and 40").
BATCH_SIZE = 40

#: Headers of every request: ReccoBeats's Cloudflare front answers Python's default User-Agents with
#: 403 "error code: 1010"; an agent naming the project and its version is served.
HEADERS = {
    "User-Agent": f"playlist_assets/{importlib.metadata.version('playlist_assets')} (Dagster playlist clustering)",
    "Accept": "application/json",
}

_SPOTIFY_TRACK_ID = re.compile(r"/track/([0-9A-Za-z]{22})")


class ReccoBeatsFeatures(FeatureProvider):
    """``GET {base_url}/audio-features?ids=`` in batches of 40; each answer is mapped back to the Spotify id
    in its ``href`` (ReccoBeats answers with its own ids). Tracks it does not know, or knows only in part,
    are absent. A 429 is retried after its Retry-After (at most ``max_wait_seconds``), a 5xx after a
    second; anything else raises an error naming the request, and no answer at all ``ServiceUnreachable``.
    """

    base_url: str = "https://api.reccobeats.com/v1"
    timeout_seconds: float = 20.0
    attempts: int = 3
    max_wait_seconds: float = 60.0

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        ids = list(dict.fromkeys(tracks.index))
        rows: dict[str, list[float]] = {}
        with requests.Session() as session:
            session.headers.update(HEADERS)
            for start in range(0, len(ids), BATCH_SIZE):
                batch = ids[start : start + BATCH_SIZE]
                for entry in self._audio_features(session, batch):
                    track_id, values = _row(entry)
                    if track_id in batch and None not in values:
                        rows[track_id] = values
        index = pd.Index(list(rows), name="track_id", dtype="str")
        found = pd.DataFrame(list(rows.values()), index=index, columns=list(AUDIO_FEATURE_COLUMNS), dtype="float64")
        return found.assign(source=RECCOBEATS_SOURCE)

    def _audio_features(self, session: requests.Session, batch: list[str]) -> list:
        """The ``content`` list of one ``/audio-features`` answer, retrying 429 and 5xx."""
        url = f"{self.base_url.rstrip('/')}/audio-features"
        attempt = 1
        where = f"ReccoBeats {url} ({len(batch)} tracks asked)"
        while True:
            try:
                response = session.get(url, params={"ids": ",".join(batch)}, timeout=self.timeout_seconds)
            except requests.RequestException as error:
                why = in_words(error, self.timeout_seconds)
                raise ServiceUnreachable("ReccoBeats", self.base_url, why, "PLAYLIST_ASSETS_RECCOBEATS") from None
            if response.status_code == 200:
                content = _json(response, where).get("content")
                if not isinstance(content, list):
                    raise ValueError(f"{where}: the answer has no 'content' list")
                return content
            retryable = response.status_code == 429 or response.status_code >= 500
            if not retryable or attempt >= self.attempts:
                detail = response.text[:200]
                raise RuntimeError(f"{where}: HTTP {response.status_code} after {attempt} attempt(s): {detail}")
            wait = _retry_after(response)
            if wait > self.max_wait_seconds:
                limit = f"more than {self.max_wait_seconds:.0f} s"
                raise RuntimeError(f"{where}: HTTP {response.status_code}, asked to wait {wait:.0f} s ({limit})")
            time.sleep(wait)
            attempt += 1


def _retry_after(response: requests.Response) -> float:
    """Seconds to wait before the next attempt: Retry-After when it is a number, else one second."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return 1.0


def _json(response: requests.Response, where: str) -> dict:
    try:
        doc = response.json()
    except ValueError as error:
        raise ValueError(f"{where}: the answer is not JSON ({error})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: the answer is not a JSON object")
    return doc


def _row(entry: object) -> tuple[str | None, list[float | None]]:
    """The Spotify track id in an entry's ``href`` and its ``AUDIO_FEATURE_COLUMNS`` (None where not a number)."""
    if not isinstance(entry, dict):
        return None, []
    match = _SPOTIFY_TRACK_ID.search(str(entry.get("href") or ""))
    values = [entry.get(column) for column in AUDIO_FEATURE_COLUMNS]
    numbers = [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None for v in values]
    return (match.group(1) if match else None), numbers
