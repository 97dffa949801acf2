"""ReccoBeats on 127.0.0.1, as it answers in 2026: its own ids, Spotify's in ``href``, unknown ids left out,
at most 40 ids a request, and Cloudflare's 403 "error code: 1010" to Python's default User-Agents."""

from __future__ import annotations

from playlist_assets.features import ReccoBeatsFeatures
from playlist_assets_tests.stub_http import StubRequest, StubResponse, StubServer

#: User-Agents Cloudflare's front refuses (observed 2026-07): the defaults of requests and urllib.
DEFAULT_AGENTS = ("python-requests/", "Python-urllib/")


class FakeReccoBeats:
    """ReccoBeats on 127.0.0.1: knows ``catalogue`` (Spotify id -> features), answers in its own order and ids."""

    def __init__(self, catalogue: dict[str, dict], faults: list[StubResponse] | None = None):
        self.catalogue = catalogue
        self.faults = list(faults or [])
        self.server = StubServer(self._answer)

    def __enter__(self) -> FakeReccoBeats:
        self.server.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.__exit__(*exc_info)

    def provider(self, **fields) -> ReccoBeatsFeatures:
        return ReccoBeatsFeatures(base_url=self.server.url + "/v1", **fields)

    def asked(self) -> list[list[str]]:
        """The ids of each audio-features request, in order."""
        return [r.query["ids"].split(",") for r in self.server.requests if r.path == "/v1/audio-features"]

    def _answer(self, request: StubRequest) -> StubResponse:
        if request.headers.get("user-agent", "").startswith(DEFAULT_AGENTS):
            return StubResponse(status=403, body=b"error code: 1010")  # Cloudflare's browser-signature ban
        if self.faults:
            return self.faults.pop(0)
        ids = request.query["ids"].split(",")
        if len(ids) > 40:
            return StubResponse(status=400, json={"status": 4004, "errors": [{"message": "size must be between 1 and 40"}]})
        content = [
            {"id": f"uuid-{track_id}", "href": f"https://open.spotify.com/track/{track_id}", **self.catalogue[track_id]}
            for track_id in reversed(ids)
            if track_id in self.catalogue
        ]
        return StubResponse(json={"content": content})
