"""Blocking checks on every playlist's page, read back from disk: its links resolve, its scatter is a PNG, and it
lists every track of raw_tracks.

They are checks of clusters_page, run in its step right after each page is written (see ``clusters_page``), and
record their result on the playlist's partition: passed, or failed with the problems in words. A playlist whose
page was not written in the run gets no result (its checks show as not executed in a failed run).
"""

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationTargetMaterializationData

from playlist_assets.instance_queries import latest_pages
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.markdown import SCATTER_ALT, TABLE_HEADER, TABLE_SEPARATOR

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A markdown link or image target (an escaped "\](" is text, not a link), or an <img> source.
_LINK = re.compile(r'(?<!\\)\]\(([^)\s]*)\)|<img src="([^"]*)"')
_WEB = ("https://", "http://")
_SCATTER = re.compile(rf"^!\[{re.escape(SCATTER_ALT)}\]\(([^)\s]*)\)$", re.MULTILINE)


def page_links(page: str) -> list[str]:
    """The targets of the page's markdown links and images and of its ``<img>`` tags, decoded."""
    return [unquote(markdown or html.unescape(tag)) for markdown, tag in _LINK.findall(page)]


def broken_links(page_file: Path, root: Path) -> list[str]:
    """The page's links that are not web addresses and do not name an existing file inside ``root``."""
    broken = []
    for link in page_links(page_file.read_text(encoding="utf-8")):
        if link.startswith(_WEB) or urlsplit(link).scheme in ("http", "https"):  # most are: not parsed
            continue
        target = (page_file.parent / link).resolve()
        if not (target.is_relative_to(root.resolve()) and target.is_file()):
            broken.append(link)
    return broken


def scatter_problems(page_file: Path, clustered: bool) -> list[str]:
    """What is wrong with the scatter of a clustered playlist's page: not shown, missing, or not a PNG."""
    if not clustered:
        return []
    shown = _SCATTER.search(page_file.read_text(encoding="utf-8"))
    if not shown:
        return ["the playlist was clustered but its page shows no scatter"]
    image = (page_file.parent / unquote(shown[1])).resolve()
    if not image.is_file():
        return [f"no scatter image at {image}"]
    with image.open("rb") as file:
        if file.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return [f"the scatter {image} is not a PNG"]
    return []


def listed_tracks(page: str) -> int:
    """The track rows of the page's tables: clusters and not placed, or the list of a playlist too small to cluster."""
    return sum(line.startswith("|") and line not in (TABLE_HEADER, TABLE_SEPARATOR) for line in page.splitlines())


def count_problems(page_file: Path, tracks: PlaylistTracks) -> list[str]:
    """A problem when the page does not list as many tracks as the playlist has."""
    listed = listed_tracks(page_file.read_text(encoding="utf-8"))
    if listed != len(tracks.tracks):
        return [f"the page lists {listed} tracks, the playlist has {len(tracks.tracks)}"]
    return []


def page_problems(page_file: Path, root: Path, tracks: PlaylistTracks, clustering: Clustering) -> dict[str, list[str]]:
    """What each check finds wrong with one playlist's page (in the output folder ``root``), by check name."""
    return {
        "page_links_resolve": [f"broken link {link!r}" for link in broken_links(page_file, root)],
        "scatter_is_a_png": scatter_problems(page_file, clustering.clustered),
        "page_lists_every_track": count_problems(page_file, tracks),
    }


PAGE_CHECK_SPECS = [
    dg.AssetCheckSpec(
        name, asset="clusters_page", description=description, blocking=True, partitions_def=playlist_partitions
    )
    for name, description in {
        "page_links_resolve": "Every link of the page that is not a web address names a file in the output folder.",
        "scatter_is_a_png": "A clustered playlist's page shows its scatter, a PNG file.",
        "page_lists_every_track": "The page lists as many tracks (placed in clusters or not) as raw_tracks has rows.",
    }.items()
]


def check_results(
    context: dg.AssetExecutionContext, problems: dict[str, tuple[str, dict[str, list[str]]]]
) -> Iterator[dg.Output | dg.AssetCheckEvaluation]:
    """Each check's result on each page written in the step, on that playlist's partition.

    ``problems``: partition key -> (its playlist's name, ``page_problems`` of its page). Dagster's ``AssetCheckResult``
    records one result per step; a step over several playlists yields an evaluation per partition instead,
    and the (valueless) output that tells Dagster the check ran.
    """
    pages = _written_pages(context.instance, set(problems))
    for spec in PAGE_CHECK_SPECS:
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(spec.key))
        for key, (playlist, found) in problems.items():
            yield dg.AssetCheckEvaluation(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=not found[spec.name],
                partition=key,
                blocking=True,
                description="; ".join(found[spec.name]) or None,
                metadata={"playlist": playlist},
                target_materialization_data=pages.get(key),
            )


def _written_pages(
    instance: dg.DagsterInstance, keys: set[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """The latest page materialization of each playlist in ``keys``, in two queries whatever their number.

    An evaluation names the materialization it checked: the UI shows a check's result on a partition only while
    it targets that partition's latest materialization (otherwise the partition reads "Missing").
    """
    if not keys:
        return {}
    return {
        key: AssetCheckEvaluationTargetMaterializationData(
            storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
        )
        for key, record in latest_pages(instance, keys).items()
    }
