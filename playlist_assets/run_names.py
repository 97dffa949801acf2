"""Playlist names on the runs launched from the UI (one partition, or a backfill's runs), as on the others."""

from collections.abc import Mapping, Sequence

import dagster as dg

from playlist_assets.assets.index import page_names
from playlist_assets.jobs import PLAYLIST_TAG, PLAYLISTS_TAG, name_tags
from playlist_assets.partitions import playlist_partitions

PARTITION_TAG = "dagster/partition"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def run_playlists(tags: Mapping[str, str], order: Sequence[str]) -> list[str]:
    """The playlist partitions a run covers, by its tags (``order``: the partition keys in their order)."""
    if tags.get(PARTITION_TAG) in order:
        return [tags[PARTITION_TAG]]
    if tags.get(RANGE_START) in order and tags.get(RANGE_END) in order:
        return list(order[order.index(tags[RANGE_START]) : order.index(tags[RANGE_END]) + 1])
    return []


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.STARTED, default_status=dg.DefaultSensorStatus.RUNNING, minimum_interval_seconds=10
)
def playlist_names_on_runs(context: dg.RunStatusSensorContext):
    """Tag a run of playlists that has no names yet (launched from the UI) with their names, as its pages recorded them."""
    run = context.dagster_run
    if PLAYLIST_TAG in run.tags or PLAYLISTS_TAG in run.tags:
        return
    keys = run_playlists(run.tags, context.instance.get_dynamic_partitions(playlist_partitions.name))
    if keys:
        context.instance.add_run_tags(run.run_id, name_tags(keys, page_names(context.instance, set(keys))))
