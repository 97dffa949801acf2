"""The progress of a refresh on a terminal: playlists done of all, failures so far, elapsed and time left (tqdm)."""

from __future__ import annotations

import sys

import dagster as dg
from tqdm import tqdm

from playlist_assets.assets import clusters_page


class Progress:
    """Playlists done of the total, failures so far, elapsed and time left (tqdm), on a terminal only."""

    def __init__(self, total: int):
        self.bar = tqdm(total=total, unit="playlist", file=sys.stderr, disable=None if total else True, leave=False)
        self.failures = 0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *_) -> None:
        self.bar.close()

    def on_event(self, entry: dg.EventLogEntry) -> None:
        """Advance on each page written or playlist failed; name the step under way."""
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == dg.DagsterEventType.STEP_START:
            self.bar.set_postfix_str(f"{event.step_key}, {self.failures} failed")
        elif event.asset_key == clusters_page.key and event.partition is not None:
            if event.is_step_materialization:
                self.bar.update(1)
            elif event.event_type == dg.DagsterEventType.ASSET_OBSERVATION:
                self.failures += 1
                self.bar.update(1)
                self.bar.set_postfix_str(f"{event.step_key}, {self.failures} failed")
