"""playlists_index: the library at a glance, from what the instance recorded about each playlist's page.

It reads the latest materialization and the latest failure (an ``AssetObservation`` with a "failed" reason) of
every partition of clusters_page in two bulk queries each, and nothing from the source but the playlists it left
out (known without a request): rebuilding it costs milliseconds, however many playlists there are.
"""

import re
from collections import Counter
from pathlib import Path

import dagster as dg

from playlist_assets.assets.checks import broken_links
from playlist_assets.assets.library import GROUP
from playlist_assets.assets.playlists import clusters_page
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render import write_atomically
from playlist_assets.render.index import (
    FAILED,
    LEFT_OUT,
    NOT_CLUSTERED,
    NOT_REFRESHED,
    PAGE_WRITTEN,
    IndexRow,
    index_path,
    render_index,
    shown_names,
    sorted_rows,
    state_text,
)
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource

_COVERAGE = re.compile(r"(\d+) of (\d+) tracks? placed")

#: Rebuilt once the pages stop changing: after a page is written (by a run of the sensor, the schedule, a backfill
#: or the UI), when no run is still writing one. Playlists that never got a page do not hold it back.
AFTER_PAGES_CHANGE = (
    (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("after pages change")


def latest_page_records(
    instance: dg.DagsterInstance, event_type: dg.DagsterEventType, partitions: set[str] | None = None
) -> dict[str, dg.EventLogRecord]:
    """Playlist id -> the latest materialization (or observation) record of its page (of every playlist, or those of
    ``partitions``), in one query per kind."""
    latest = instance.get_latest_storage_id_by_partition(clusters_page.key, event_type, partitions)
    if not latest:
        return {}
    records_filter = dg.AssetRecordsFilter(asset_key=clusters_page.key, storage_ids=list(latest.values()))
    if event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
        records = instance.fetch_materializations(records_filter, limit=len(latest)).records
    else:
        records = instance.fetch_observations(records_filter, limit=len(latest)).records
    return {record.partition_key: record for record in records}


def page_names(instance: dg.DagsterInstance, partitions: set[str] | None = None) -> dict[str, str]:
    """Playlist id -> its name, as its page was last written (for run tags, without asking the source)."""
    records = latest_page_records(instance, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions)
    return {key: _values(record).get("playlist", "") for key, record in records.items()}


def _values(record: dg.EventLogRecord | None) -> dict:
    if record is None:
        return {}
    event = record.asset_materialization or record.asset_observation
    return {name: entry.value for name, entry in event.metadata.items()}


def _tracks_placed(page: dict) -> tuple[int | None, int | None]:
    if "tracks" in page and "placed" in page:
        return page["tracks"], page["placed"]
    found = _COVERAGE.search(page.get("coverage", ""))
    return (int(found[2]), int(found[1])) if found else (None, None)


def playlist_row(key: str, written: dg.EventLogRecord | None, observed: dg.EventLogRecord | None) -> IndexRow:
    """The row of one partition, from its page's latest materialization and latest observation (either may be None).

    The playlist failed when a failure was observed after its page was last written; the previous page is kept.
    """
    page, failure = _values(written), _values(observed)
    failed = bool(failure.get("failed")) and (written is None or observed.storage_id > written.storage_id)
    name = page.get("playlist") or failure.get("playlist") or key
    path = Path(page["path"]) if page.get("path") else None
    if written is None and not failed:
        return IndexRow(name=name, state=NOT_REFRESHED, key=key)
    k = page.get("k") or 0
    state = page.get("state") or (PAGE_WRITTEN if k else NOT_CLUSTERED)
    reason = "" if state == PAGE_WRITTEN else page.get("why not clustered", "")
    if failed:
        state, reason = FAILED, failure["failed"]
    tracks, placed = _tracks_placed(page)
    return IndexRow(
        name=name,
        state=state,
        key=key,
        reason=reason,
        page=path if path is not None and path.is_file() else None,
        tracks=tracks,
        placed=placed,
        k=k,
        separation=page.get("separation", ""),
        sources=page.get("feature sources") or {},
        refreshed=written.timestamp if written else None,
        snapshot_id=page.get("snapshot_id", ""),
    )


def library_rows(instance: dg.DagsterInstance) -> list[IndexRow]:
    """A row for every playlist partition, from what the instance recorded about its page."""
    written = latest_page_records(instance, dg.DagsterEventType.ASSET_MATERIALIZATION)
    observed = latest_page_records(instance, dg.DagsterEventType.ASSET_OBSERVATION)
    keys = instance.get_dynamic_partitions(playlist_partitions.name)
    return [playlist_row(key, written.get(key), observed.get(key)) for key in keys]


def left_out_rows(source: PlaylistSource) -> list[IndexRow]:
    """The playlists the source listed but left out (e.g. not owned), when it says which."""
    left_out = getattr(source, "left_out_playlists", None)
    return [IndexRow(name=name, state=LEFT_OUT, reason=reason) for name, reason in (left_out() if left_out else [])]


def index_table(rows: list[IndexRow]) -> dg.TableMetadataValue:
    """Partition key -> name -> state -> page, so that searching the asset's page for a name finds its key."""
    ordered = sorted_rows(rows)
    columns = ["partition", "playlist", "state", "page"]
    records = [
        dg.TableRecord(dict(zip(columns, [row.key, name, state_text(row), str(row.page or "")])))
        for row, name in zip(ordered, shown_names(ordered))
    ]
    return dg.MetadataValue.table(records, schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns]))


@dg.asset(group_name=GROUP, deps=[clusters_page], kinds={"markdown"}, automation_condition=AFTER_PAGES_CHANGE)
def playlists_index(context: dg.AssetExecutionContext, source: PlaylistSource, output: OutputFolder) -> dg.MaterializeResult:
    """The index of the library, index.md: each playlist's name, state, tracks, clusters, coverage and page link.

    Its metadata lists every partition key with its playlist's name and state.
    """
    rows = library_rows(context.instance) + left_out_rows(source)
    path = index_path(output.root)
    write_atomically(path, render_index(rows, path).encode("utf-8"))
    states = Counter(row.state for row in rows)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "dagster/row_count": len(rows),
            "states": dg.MetadataValue.json(dict(sorted(states.items()))),
            "playlists": index_table(rows),
        }
    )


#: Evaluates the index's automation condition every 30 s while the daemon runs (Dagster's default automation sensor
#: starts stopped).
index_automation_sensor = dg.AutomationConditionSensorDefinition(
    "playlists_index_automation",
    target=[playlists_index],
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)


@dg.asset_check(asset=playlists_index, blocking=True)
def index_links_resolve(output: OutputFolder) -> dg.AssetCheckResult:
    """Every link of index.md names a page in the output folder."""
    broken = broken_links(index_path(output.root), output.root)
    return dg.AssetCheckResult(
        passed=not broken,
        description="; ".join(f"broken link {link!r}" for link in broken) or None,
        metadata={"broken links": dg.MetadataValue.json(broken)},
    )
