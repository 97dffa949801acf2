"""The one job behind the sensor, the schedule and the command line, and the runs it is asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from playlist_assets.assets import PLAYLIST_ASSETS, cluster_playlists, clusters_page, liked_tracks
from playlist_assets.assets.settings import PARTITIONS_PER_RUN
from playlist_assets.writers.spotify import publish_mode

refresh_job = dg.define_asset_job(
    "refresh_playlists",
    selection=dg.AssetSelection.all(),  # the assets of the definitions: cluster_playlists only when publishing
    description="Liked Songs, or the chain from raw_tracks to clusters_page (and cluster_playlists when publishing) "
    "for one playlist or a range of them.",
)

PLAYLIST_KEYS = [asset.key for asset in PLAYLIST_ASSETS]
LIKED_KEYS = [liked_tracks.key]
#: What a playlist whose page is current runs to be published: its page too, which links the files to paste.
PUBLISH_KEYS = [clusters_page.key, cluster_playlists.key]


def playlist_keys() -> list[dg.AssetKey]:
    """The chain a playlist's run materializes: with PLAYLIST_ASSETS_PUBLISH not off, its clusters published too."""
    return PLAYLIST_KEYS + ([cluster_playlists.key] if publish_mode() != "off" else [])


def partition_ranges(ordered: Sequence[str], wanted: set[str], size: int = PARTITIONS_PER_RUN) -> list[list[str]]:
    """The ``wanted`` keys as runs of consecutive keys of ``ordered`` (the partitions' order), at most ``size`` each.

    A run covers a range of partitions, so keys that are not wanted split the runs, as in a backfill.
    """
    ranges: list[list[str]] = []
    current: list[str] = []
    for key in ordered:
        if key in wanted and len(current) < size:
            current.append(key)
            continue
        if current:
            ranges.append(current)
        current = [key] if key in wanted else []
    if current:
        ranges.append(current)
    return ranges


#: Dagster's tags naming the partition of a run, and the first and last of the range of partitions it covers.
PARTITION_TAG = "dagster/partition"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def range_tags(keys: Sequence[str]) -> dict[str, str]:
    """The tags of a run over the partitions ``keys[0]`` to ``keys[-1]`` (what a backfill run carries)."""
    return {RANGE_START: keys[0], RANGE_END: keys[-1]}


#: The tag naming the playlist of a run of one playlist, and the one naming those of a run over several.
PLAYLIST_TAG = "playlist"
PLAYLISTS_TAG = "playlists"
#: Names shown in a run's "playlists" tag before "and N more".
NAMES_SHOWN = 200


def name_tags(keys: Sequence[str], names: Mapping[str, str]) -> dict[str, str]:
    """Tags that show in the runs list which playlists a run refreshes (``names`` by key; else the key itself)."""
    listed = [names.get(key) or key for key in keys]
    if len(listed) == 1:
        return {PLAYLIST_TAG: listed[0]}
    kept, length = [], 0
    for name in listed:
        length += len(name) + 2
        if length > NAMES_SHOWN and kept:
            break
        kept.append(name)
    more = f" and {len(listed) - len(kept)} more" if len(kept) < len(listed) else ""
    return {PLAYLISTS_TAG: ", ".join(kept) + more}


def playlist_run_tags(keys: Sequence[str], names: Mapping[str, str]) -> dict[str, str]:
    """The tags of a run over the playlists ``keys``: their range when there are several, and their names."""
    return {**(range_tags(keys) if len(keys) > 1 else {}), **name_tags(keys, names)}


def liked_songs_request(run_key: str | None = None) -> dg.RunRequest:
    """A run that refreshes Liked Songs once for the whole library."""
    return dg.RunRequest(run_key=run_key, asset_selection=LIKED_KEYS)


def playlist_request(
    key: str, run_key: str | None = None, name: str = "", assets: list[dg.AssetKey] | None = None
) -> dg.RunRequest:
    """A run that refreshes one playlist's partition (``key``) of the chain (or of ``assets``), tagged with its name."""
    tags = name_tags([key], {key: name})
    return dg.RunRequest(run_key=run_key, partition_key=key, asset_selection=assets or playlist_keys(), tags=tags)


def playlist_range_request(
    keys: Sequence[str], run_key: str | None = None, names: Mapping[str, str] | None = None
) -> dg.RunRequest:
    """A run that refreshes the chain for a range of consecutive playlist partitions, in one step per asset."""
    names = names or {}
    if len(keys) == 1:
        return playlist_request(keys[0], run_key, names.get(keys[0], ""))
    return dg.RunRequest(run_key=run_key, tags=playlist_run_tags(keys, names), asset_selection=playlist_keys())
