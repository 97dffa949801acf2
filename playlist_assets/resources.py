"""Resources that are not a source of data: where the pages go."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class OutputFolder(dg.ConfigurableResource):
    """The folder that receives ``playlists/<slug>/clusters.md`` and ``images/playlists/<slug>/...``."""

    path: str = "output"

    @property
    def root(self) -> Path:
        return Path(self.path).resolve()
