"""What the Dagster instance recorded about the playlists' pages, read in a few bulk queries whatever their number.

Used by the index, the page checks, the sensors, the schedule and the command line.
"""

from __future__ import annotations

import dagster as dg

from playlist_assets.model import PlaylistFailed
from playlist_assets.page_record import CLUSTERS_PAGE, PageRecord, failure_from_metadata
from playlist_assets.partitions import playlist_ids

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


def earlier_pages(
    instance: dg.DagsterInstance, keys: list[str], written: dict[str, dg.EventLogRecord]
) -> dict[str, dg.EventLogRecord]:
    """For those of ``keys`` whose playlist has a page of ``written`` (``latest_pages``) under another key (before a
    rename, or from when partitions were keyed by id): the latest such page, by key."""
    ids = playlist_ids(instance, keys)
    if not ids:
        return {}
    latest: dict[str, dg.EventLogRecord] = {}
    for key, record in written.items():
        playlist_id = PageRecord.from_event_record(record).playlist_id or key
        if playlist_id not in latest or record.storage_id > latest[playlist_id].storage_id:
            latest[playlist_id] = record
    return {key: latest[playlist_id] for key, playlist_id in ids.items() if playlist_id in latest}


def failure_of(record: dg.EventLogRecord) -> PlaylistFailed:
    return failure_from_metadata(record.asset_observation.metadata)


def page_names(instance: dg.DagsterInstance, partitions: set[str] | None = None) -> dict[str, str]:
    """Partition key -> the playlist's name, as its page was last written (for run tags, without asking the source)."""
    return {key: PageRecord.from_event_record(record).playlist for key, record in latest_pages(instance, partitions).items()}


def page_records(instance: dg.DagsterInstance) -> dict[str, PageRecord]:
    """Partition key -> what its page's latest materialization recorded."""
    return {key: PageRecord.from_event_record(record) for key, record in latest_pages(instance).items()}
