"""Resources that are not a source of data: where the pages go."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class OutputFolder(dg.ConfigurableResource):
    """The folder that receives ``playlists/<slug>/clusters.md`` and ``images/playlists/<slug>/...``."""

    path: str = "output"
    #: Each cluster's tracks also in a text file beside its page, to paste into Spotify's desktop app
    #: (PLAYLIST_ASSETS_PUBLISH=spotify with a library that has no account to write to).
    paste_files: bool = False

    @property
    def root(self) -> Path:
        return Path(self.path).resolve()
