"""What the Dagster instance recorded about the playlists' pages, read in a few bulk queries whatever their number.

Used by the index, the page checks, the sensors, the schedule and the command line.
"""

from __future__ import annotations

import dagster as dg

from playlist_assets.model import PlaylistFailed
from playlist_assets.page_record import CLUSTERS_PAGE, PageRecord, failure_from_metadata

MATERIALIZATION = dg.DagsterEventType.ASSET_MATERIALIZATION
OBSERVATION = dg.DagsterEventType.ASSET_OBSERVATION


def latest_records(
    instance: dg.DagsterInstance,
    asset_key: dg.AssetKey,
    event_type: dg.DagsterEventType,
    partitions: set[str] | None = None,
) -> dict[str, dg.EventLogRecord]:
    """Partition key -> the asset's latest materialization (or observation) record there (of every partition, or
    of those of ``partitions``), in two queries."""
    latest = instance.get_latest_storage_id_by_partition(asset_key, event_type, partitions)
    if not latest:
        return {}
    records_filter = dg.AssetRecordsFilter(asset_key=asset_key, storage_ids=list(latest.values()))
    if event_type == MATERIALIZATION:
        records = instance.fetch_materializations(records_filter, limit=len(latest)).records
    else:
        records = instance.fetch_observations(records_filter, limit=len(latest)).records
    return {record.partition_key: record for record in records}


def latest_pages(instance: dg.DagsterInstance, partitions: set[str] | None = None) -> dict[str, dg.EventLogRecord]:
    """Partition key -> the record of its page's latest materialization (its metadata: a ``PageRecord``)."""
    return latest_records(instance, CLUSTERS_PAGE, MATERIALIZATION, partitions)


def latest_failures(instance: dg.DagsterInstance, partitions: set[str] | None = None) -> dict[str, dg.EventLogRecord]:
    """Partition key -> the record of its latest failure (an observation of clusters_page: a ``PlaylistFailed``)."""
    return latest_records(instance, CLUSTERS_PAGE, OBSERVATION, partitions)


def failure_of(record: dg.EventLogRecord) -> PlaylistFailed:
    return failure_from_metadata(record.asset_observation.metadata)


def page_names(instance: dg.DagsterInstance, partitions: set[str] | None = None) -> dict[str, str]:
    """Partition key -> the playlist's name, as its page was last written (for run tags, without asking the source)."""
    return {key: PageRecord.from_event_record(record).playlist for key, record in latest_pages(instance, partitions).items()}


def page_snapshots(instance: dg.DagsterInstance) -> dict[str, str]:
    """Partition key -> the snapshot id its page's latest materialization was written for."""
    return {key: PageRecord.from_event_record(record).snapshot_id for key, record in latest_pages(instance).items()}
