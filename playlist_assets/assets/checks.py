"""Blocking checks on every playlist's page, read back from disk: its links resolve, its scatter is a PNG, and it
lists every track of raw_tracks.

The checks run in one step after clusters_page, over the playlists of the run. A run of one playlist records each
check's result on that playlist's partition. Dagster records one result per check and step, so a run over several
playlists (a backfill run) records one result for all of them: it fails when any playlist fails, naming those
playlists in its description and in its "failed playlists" metadata.
"""

import html
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dagster as dg

from playlist_assets.assets.playlists import ByPlaylist, clusters_page, raw_tracks, track_clusters
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.markdown import SCATTER_ALT, TABLE_HEADER, TABLE_SEPARATOR
from playlist_assets.resources import OutputFolder

# Dagster warns at import that partitioned asset checks are in preview; said once here.
warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A markdown link or image target (an escaped "\](" is text, not a link), or an <img> source.
_LINK = re.compile(r'(?<!\\)\]\(([^)\s]*)\)|<img src="([^"]*)"')
_SCATTER = re.compile(rf"^!\[{re.escape(SCATTER_ALT)}\]\(([^)\s]*)\)$", re.MULTILINE)


def page_links(page: str) -> list[str]:
    """The targets of the page's markdown links and images and of its ``<img>`` tags, decoded."""
    return [unquote(markdown or html.unescape(tag)) for markdown, tag in _LINK.findall(page)]


def broken_links(page_file: Path, root: Path) -> list[str]:
    """The page's links that are not web addresses and do not name an existing file inside ``root``."""
    broken = []
    for link in page_links(page_file.read_text(encoding="utf-8")):
        if urlsplit(link).scheme in ("http", "https"):
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
        name,
        asset=clusters_page,
        additional_deps=[raw_tracks, track_clusters],
        description=description,
        blocking=True,
        partitions_def=playlist_partitions,
    )
    for name, description in {
        "page_links_resolve": "Every link of the page that is not a web address names a file in the output folder.",
        "scatter_is_a_png": "A clustered playlist's page shows its scatter, a PNG file.",
        "page_lists_every_track": "The page lists as many tracks (placed in clusters or not) as raw_tracks has rows.",
    }.items()
]


@dg.multi_asset_check(
    specs=PAGE_CHECK_SPECS,
    ins={"clusters_page": clusters_page.key, "raw_tracks": raw_tracks.key, "track_clusters": track_clusters.key},
)
def page_checks(
    context: dg.AssetCheckExecutionContext,
    clusters_page: ByPlaylist,
    raw_tracks: ByPlaylist,
    track_clusters: ByPlaylist,
    output: OutputFolder,
) -> Iterator[dg.AssetCheckResult]:
    """The checks of ``PAGE_CHECK_SPECS`` on the page of each playlist of the step."""
    keys = context.partition_keys
    failed: dict[str, dict[str, list[str]]] = {spec.name: {} for spec in PAGE_CHECK_SPECS}
    for key in keys:
        if len(keys) == 1:
            page, tracks, clustering = clusters_page, raw_tracks, track_clusters
        else:
            page, tracks, clustering = clusters_page[key], raw_tracks[key], track_clusters[key]
        for name, problems in page_problems(Path(page), output.root, tracks, clustering).items():
            if problems:
                failed[name][f"{tracks.playlist.name!r} ({key})"] = problems
    for name, playlists in failed.items():
        description = "; ".join(f"playlist {playlist}: {', '.join(found)}" for playlist, found in playlists.items())
        yield dg.AssetCheckResult(
            check_name=name,
            passed=not playlists,
            description=description or None,
            metadata={"playlists checked": len(keys), "failed playlists": dg.MetadataValue.json(sorted(playlists))},
        )


ALL_CHECKS = [page_checks]
