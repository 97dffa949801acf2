"""An IO manager that keeps one pickle per asset partition and accepts multi-partition outputs.

Dagster's built-in filesystem IO manager refuses an output that covers several partitions, which a
backfill run over many playlists (``BackfillPolicy.multi_run``) produces. Here such an output is a
dict keyed by partition, and an input covering several partitions is loaded as one. A playlist that failed
in the run (a ``PlaylistFailed`` value) is handed on within the run but keeps its last stored value.

A playlist's values are stored under its Spotify id, not its partition key, so that they follow the playlist when
a rename changes its key: ``PickleStore.stored_playlist_value`` reads them by id.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import dagster as dg

from playlist_assets.model import PlaylistFailed
from playlist_assets.partitions import playlist_ids, playlist_partitions


class PartitionedPickleIOManager(dg.ConfigurableIOManagerFactory):
    """Stores ``<base_dir>/<asset key>/<partition>.pkl`` (``<asset key>.pkl`` when unpartitioned), a playlist's
    partition named by the playlist's id.

    ``base_dir`` defaults to the Dagster instance's storage folder, so values live beside run history.
    """

    base_dir: str | None = None

    def create_io_manager(self, context: dg.InitResourceContext) -> PickleStore:
        return PickleStore(Path(self.base_dir or context.instance.storage_directory()), context.instance)


class PickleStore(dg.IOManager):
    """The IO manager proper; see ``PartitionedPickleIOManager``.

    It lives for one run (one step with a per-step executor) and hands the values written in that run
    to the steps that read them without unpickling them again; assets must not modify their inputs.
    """

    def __init__(self, base_dir: Path, instance: dg.DagsterInstance | None = None):
        self.base_dir = base_dir
        self.instance = instance
        self._written: dict[Path, Any] = {}
        self._ids: dict[str, str] = {}  # playlist partition key -> playlist id, as looked up in this run

    def stored_playlist_value(self, asset_key: dg.AssetKey, playlist_id: str) -> Any | None:
        """The value last stored of the playlist's partition of ``asset_key``, whatever its key was; None if none."""
        path = self.base_dir.joinpath(*asset_key.path) / f"{playlist_id}.pkl"
        if path in self._written:
            return self._written[path]
        if not path.exists():
            return None
        with path.open("rb") as stored:
            return pickle.load(stored)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if context.has_asset_partitions and len(context.asset_partition_keys) > 1:
            missing = set(context.asset_partition_keys) - set(obj)
            if missing:
                raise ValueError(f"{context.asset_key.to_user_string()}: no output for partitions {sorted(missing)}")
            for key in context.asset_partition_keys:
                self._write(self._path(context, key), obj[key])
        else:
            key = context.asset_partition_key if context.has_asset_partitions else None
            self._write(self._path(context, key), obj)

    def load_input(self, context: dg.InputContext) -> Any:
        if context.has_asset_partitions and len(context.asset_partition_keys) > 1:
            return {key: self._read(context, key) for key in context.asset_partition_keys}
        key = context.asset_partition_key if context.has_asset_partitions else None
        return self._read(context, key)

    def _path(self, context: dg.InputContext | dg.OutputContext, partition_key: str | None) -> Path:
        folder = self.base_dir.joinpath(*context.asset_key.path)
        if partition_key is None:
            return folder.with_suffix(".pkl")
        name = self._playlist_id(context, partition_key) or partition_key
        if Path(name).name != name or name in {".", ".."}:
            raise ValueError(f"partition key {partition_key!r} cannot name a file")
        return folder / f"{name}.pkl"

    def _playlist_id(self, context: dg.InputContext | dg.OutputContext, partition_key: str) -> str | None:
        """The id of the playlist of a "playlists" partition (looked up once per run for all the step's keys)."""
        if self.instance is None or context.asset_partitions_def != playlist_partitions:
            return None
        if partition_key not in self._ids:
            self._ids.update(playlist_ids(self.instance, context.asset_partition_keys))
        return self._ids.get(partition_key)

    def _read(self, context: dg.InputContext, partition_key: str | None) -> Any:
        path = self._path(context, partition_key)
        if path in self._written:
            return self._written[path]
        if not path.exists():
            asset = context.asset_key.to_user_string()
            where = f"partition {partition_key!r} of " if partition_key else ""
            raise FileNotFoundError(f"{where}{asset} has not been materialized yet (no {path}); materialize it first")
        with path.open("rb") as stored:
            return pickle.load(stored)

    def _write(self, path: Path, obj: Any) -> None:
        """Keep ``obj`` for the run; on disk too, unless it stands for a playlist that failed (its last value stays).

        The pickle goes to a temporary file renamed over the old one, so that a reader sees one or the other, but
        unlike a page it is not forced to disk (an fsync per playlist and asset in a backfill): after a crash of
        the machine, a value lost can be materialized again.
        """
        if isinstance(obj, PlaylistFailed):
            self._written[path] = obj
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            temp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        self._written[path] = obj
