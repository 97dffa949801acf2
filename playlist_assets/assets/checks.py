"""Blocking checks on every playlist's page, read back from disk: its links resolve, its scatter is a PNG, it lists
every track.

The checks read the written page rather than trusting the code that wrote it. A check step covers the playlists
of its run, one or several (a backfill run); Dagster records one result per step, so in a run over several
playlists the result fails when any playlist fails and names those playlists in its description and metadata.
"""

import html
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dagster as dg

from playlist_assets.assets.playlists import ByPlaylist, clusters_page, raw_tracks, track_clusters
from playlist_assets.model import Clustering, PlaylistTracks
from playlist_assets.partitions import playlist_partitions
from playlist_assets.render.markdown import SCATTER_ALT, TABLE_HEADER, TABLE_SEPARATOR
from playlist_assets.resources import OutputFolder

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A markdown link target (an escaped "\](" is text, not a link) or an <img> source.
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
    image = page_file.parent / unquote(shown[1])
    if not image.is_file():
        return [f"no scatter image at {image}"]
    with image.open("rb") as file:
        if file.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return [f"the scatter {image} is not a PNG"]
    return []


def listed_tracks(page: str) -> int:
    """The number of track rows in the page's tables (clusters and not placed, or the list of a small playlist)."""
    return sum(line.startswith("|") and line not in (TABLE_HEADER, TABLE_SEPARATOR) for line in page.splitlines())


def count_problems(page_file: Path, tracks: PlaylistTracks) -> list[str]:
    """A problem when the page does not list as many tracks as the playlist has."""
    listed = listed_tracks(page_file.read_text(encoding="utf-8"))
    if listed != len(tracks.tracks):
        return [f"the page lists {listed} tracks, the playlist has {len(tracks.tracks)}"]
    return []


def check_each_playlist(
    context: dg.AssetCheckExecutionContext, problems_of: Callable[..., list[str]], **inputs: ByPlaylist
) -> dg.AssetCheckResult:
    """Call ``problems_of(**that playlist's inputs) -> problems`` for each playlist of the step.

    Passes when no playlist has a problem; else fails naming each failing playlist and its problems.
    """
    keys = context.partition_keys
    found = {}
    for key in keys:
        problems = problems_of(**(inputs if len(keys) == 1 else {name: value[key] for name, value in inputs.items()}))
        if problems:
            found[key] = problems
    metadata = {"playlists checked": len(keys), "failed playlists": dg.MetadataValue.json(sorted(found))}
    description = "; ".join(f"playlist {key}: {', '.join(problems)}" for key, problems in found.items())
    return dg.AssetCheckResult(passed=not found, metadata=metadata, description=description or None)


@dg.asset_check(asset=clusters_page, blocking=True, partitions_def=playlist_partitions)
def page_links_resolve(
    context: dg.AssetCheckExecutionContext, clusters_page: ByPlaylist, output: OutputFolder
) -> dg.AssetCheckResult:
    """Every link of the page that is not a web address names an existing file inside the output folder."""

    def problems(clusters_page: str) -> list[str]:
        return [f"broken link {link!r}" for link in broken_links(Path(clusters_page), output.root)]

    return check_each_playlist(context, problems, clusters_page=clusters_page)


@dg.asset_check(
    asset=clusters_page,
    blocking=True,
    partitions_def=playlist_partitions,
    additional_ins={"track_clusters": dg.AssetIn(key=track_clusters.key)},
)
def scatter_is_a_png(
    context: dg.AssetCheckExecutionContext, clusters_page: ByPlaylist, track_clusters: ByPlaylist
) -> dg.AssetCheckResult:
    """A clustered playlist's page shows its scatter, a PNG file."""

    def problems(clusters_page: str, track_clusters: Clustering) -> list[str]:
        return scatter_problems(Path(clusters_page), track_clusters.clustered)

    return check_each_playlist(context, problems, clusters_page=clusters_page, track_clusters=track_clusters)


@dg.asset_check(
    asset=clusters_page,
    blocking=True,
    partitions_def=playlist_partitions,
    additional_ins={"raw_tracks": dg.AssetIn(key=raw_tracks.key)},
)
def page_lists_every_track(
    context: dg.AssetCheckExecutionContext, clusters_page: ByPlaylist, raw_tracks: ByPlaylist
) -> dg.AssetCheckResult:
    """The page lists as many tracks (placed in clusters or not) as raw_tracks has rows."""

    def problems(clusters_page: str, raw_tracks: PlaylistTracks) -> list[str]:
        return count_problems(Path(clusters_page), raw_tracks)

    return check_each_playlist(context, problems, clusters_page=clusters_page, raw_tracks=raw_tracks)


PAGE_CHECKS = [page_links_resolve, scatter_is_a_png, page_lists_every_track]
