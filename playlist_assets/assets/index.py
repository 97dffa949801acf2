"""playlists_index: the library at a glance, from what the instance recorded about each playlist's page.

It reads the latest materialization and the latest failure (an ``AssetObservation`` with a "failed" reason) of
every partition of clusters_page in two bulk queries each, and nothing from the source but the playlists it left
out (known without a request): rebuilding it costs milliseconds, however many playlists there are.
"""

from collections import Counter
from pathlib import Path

import dagster as dg

from playlist_assets.assets.checks import broken_links
from playlist_assets.assets.maps import library_map
from playlist_assets.assets.page import clusters_page
from playlist_assets.assets.settings import AFTER_PAGES_CHANGE, GROUP
from playlist_assets.instance_queries import earlier_pages, failure_of, latest_failures, latest_pages
from playlist_assets.page_record import PageRecord
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.index import (
    FAILED,
    LEFT_OUT,
    NOT_REFRESHED,
    PAGE_WRITTEN,
    IndexRow,
    index_path,
    render_index,
    shown_names,
    sorted_rows,
    state_text,
)
from playlist_assets.render.paths import library_map_path
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import PlaylistSource
from playlist_assets.writers.files import write_atomically

def playlist_row(key: str, written: dg.EventLogRecord | None, observed: dg.EventLogRecord | None) -> IndexRow:
    """The row of one partition, from its page's latest materialization and latest observation (either may be None).

    The playlist failed when a failure was observed after its page was last written; the previous page is kept.
    """
    failure = failure_of(observed) if observed is not None else None
    failed = bool(failure and failure.reason) and (written is None or observed.storage_id > written.storage_id)
    if written is None:
        if not failed:
            return IndexRow(name=key, state=NOT_REFRESHED, key=key)
        return IndexRow(name=failure.playlist or key, state=FAILED, key=key, reason=failure.reason)
    page = PageRecord.from_event_record(written)
    path = Path(page.path) if page.path else None
    state, reason = page.state, "" if page.state == PAGE_WRITTEN else page.why_not_clustered or ""
    if failed:
        state, reason = FAILED, failure.reason
    return IndexRow(
        name=page.playlist or (failure.playlist if failure else "") or key,
        state=state,
        key=key,
        reason=reason,
        page=path if path is not None and path.is_file() else None,
        tracks=page.tracks,
        placed=page.placed,
        k=page.k,
        separation=page.separation,
        sources=page.feature_sources,
        refreshed=written.timestamp,
        snapshot_id=page.snapshot_id,
        cluster_names=page.cluster_names,
    )


def library_rows(instance: dg.DagsterInstance) -> list[IndexRow]:
    """A row for every playlist partition, from what the instance recorded about its page (or, for a partition not
    refreshed since its playlist was renamed, about its page under the earlier name)."""
    written, observed = latest_pages(instance), latest_failures(instance)
    keys = instance.get_dynamic_partitions(playlist_partitions.name)
    written.update(earlier_pages(instance, [key for key in keys if key not in written], written))
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


@dg.asset(
    group_name=GROUP, deps=[clusters_page, library_map], kinds={"markdown"}, automation_condition=AFTER_PAGES_CHANGE
)
def playlists_index(context: dg.AssetExecutionContext, source: PlaylistSource, output: OutputFolder) -> dg.MaterializeResult:
    """The index of the library, index.md: each playlist's name, state, tracks, clusters, coverage and page link,
    and the link to the library's map.

    Its metadata lists every partition key with its playlist's name and state.
    """
    rows = library_rows(context.instance) + left_out_rows(source)
    path, library_map_file = index_path(output.root), library_map_path(output.root)
    shown_map = library_map_file if library_map_file.is_file() else None
    write_atomically(path, render_index(rows, path, shown_map).encode("utf-8"))
    states = Counter(row.state for row in rows)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "dagster/row_count": len(rows),
            "states": dg.MetadataValue.json(dict(sorted(states.items()))),
            "playlists": index_table(rows),
        }
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
