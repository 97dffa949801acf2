"""Sizes and build times of the interactive maps: the demo library's and a synthetic library's.

    ./run.sh python bench/maps.py                              # the demo, and 1,000 synthetic playlists of 10 tracks
    ./run.sh python bench/maps.py --playlists 100 --tracks 50

Clusterings come straight from the pure functions (``cluster_features`` on each playlist's features), then each
clustered playlist's map, the library map and the shared script are written to a temporary folder by the writer
functions the assets call, where the assets put them. Printed: the shared script's size; per playlist of the demo,
the map's size and time to build and write it; for each library, the median playlist map and the library map; and
for the synthetic library, what library_map does: read every playlist's stored values by id, then build and write.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playlist_assets.model import PlaylistTracks

PROJECT = Path(__file__).resolve().parents[1]


def demo_playlists() -> list:
    """Every playlist of the demo library as a ``MappedPlaylist``."""
    from playlist_assets.features import DemoFeatures
    from playlist_assets.sources import DemoSource

    return _mapped(DemoSource(), DemoFeatures())


def synthetic_playlists(playlists: int, tracks: int) -> list:
    """A synthetic library (``bench/synthetic.py``) of ``playlists`` playlists of ``tracks`` tracks."""
    from bench.synthetic import SyntheticFeatures, SyntheticSource

    library = {"playlists": playlists, "tracks": tracks, "big": 0}
    return _mapped(SyntheticSource(**library), SyntheticFeatures(**library))


def _mapped(source, provider) -> list:
    from playlist_assets.analysis import cluster_features
    from playlist_assets.render.maps import MappedPlaylist

    mapped = []
    for playlist in source.list_playlists():
        tracks = source.fetch_playlist(playlist.id).tracks
        features = provider.features(tracks)
        mapped.append(MappedPlaylist(playlist.display_name, tracks, features, cluster_features(features)))
    return mapped


def fetched(number: int, playlist) -> PlaylistTracks:
    """The ``MappedPlaylist``'s tracks as a source hands them over, under an invented id."""
    from playlist_assets.model import PlaylistInfo, PlaylistTracks

    return PlaylistTracks(PlaylistInfo(f"playlist{number}", playlist.name, ""), playlist.tracks)


def write_maps(root: Path, playlists: list) -> dict[str, tuple[Path, float]]:
    """Writes each clustered playlist's map beside its page, the library map at the top of ``root`` and the shared
    script, with the assets' writer functions; {playlist name or "library": (map file, seconds to build and write it)}."""
    from playlist_assets.writers.files import write_library_map, write_playlist_map, write_shared_script

    write_shared_script(root)
    written = {}
    for number, playlist in enumerate(playlists):
        started = time.perf_counter()
        path = write_playlist_map(root, fetched(number, playlist), playlist.features, playlist.clustering)
        if path is not None:
            written[playlist.name] = (path, time.perf_counter() - started)
    started = time.perf_counter()
    path = write_library_map(root, playlists)
    written["library"] = (path, time.perf_counter() - started)
    return written


def library_map_from_storage(folder: Path, playlists: list) -> str:
    """What library_map does, timed: read each playlist's stored tracks, features and clusters by its id (stored
    first as the assets store them), then build and write the map."""
    import dagster as dg

    from playlist_assets.assets.maps import RAW_TRACKS, TRACK_CLUSTERS, TRACK_FEATURES, stored_playlists
    from playlist_assets.render.markdown import count
    from playlist_assets.storage import PickleStore
    from playlist_assets.writers.files import write_library_map

    ids = []
    for number, playlist in enumerate(playlists):
        tracks = fetched(number, playlist)
        ids.append(tracks.playlist.id)
        for asset, value in ((RAW_TRACKS, tracks), (TRACK_FEATURES, playlist.features), (TRACK_CLUSTERS, playlist.clustering)):
            context = dg.build_output_context(asset_key=asset, partition_key=tracks.playlist.id)
            PickleStore(folder / "storage").handle_output(context, value)
    started = time.perf_counter()
    stored = list(stored_playlists(PickleStore(folder / "storage"), ids))
    read = time.perf_counter()
    path = write_library_map(folder / "output", stored)
    return (
        f"library_map from storage, {len(ids):,} playlists: read {count(len(stored), 'clustered playlist')} in "
        f"{read - started:.2f} s, built and wrote {_kb(path.stat().st_size)} in {time.perf_counter() - read:.2f} s"
    )


def measure(playlists: int = 1000, tracks: int = 10) -> list[str]:
    """Lines to print: the shared script, the demo's maps, and those of a synthetic library."""
    from playlist_assets.render.maps import shared_script

    name, script = shared_script()
    lines = [f"shared script {name}: {_kb(len(script))}; load average (1 min) {os.getloadavg()[0]:.1f}"]
    with tempfile.TemporaryDirectory(prefix="maps_") as folder:
        demo = demo_playlists()
        written = write_maps(Path(folder) / "demo", demo)
        for playlist in demo:
            if playlist.name in written:
                path, seconds = written[playlist.name]
                placed = int((playlist.clustering.tracks["cluster"] >= 1).sum())
                lines.append(f"demo {playlist.name!r}: {placed} tracks placed, map {_kb(path.stat().st_size)}, "
                             f"built and written in {seconds * 1000:.0f} ms")
        lines.append(_library_line("demo", demo, written))
        started = time.perf_counter()
        synthetic = synthetic_playlists(playlists, tracks)
        clustered = time.perf_counter() - started
        written = write_maps(Path(folder) / "synthetic", synthetic)
        maps = [written[playlist.name] for playlist in synthetic if playlist.name in written]
        lines.append(
            f"synthetic library, {playlists:,} playlists x {tracks} tracks (read and clustered in {clustered:.1f} s): "
            f"{len(maps):,} playlist maps, median {_kb(statistics.median(p.stat().st_size for p, _ in maps))}, "
            f"median build and write {statistics.median(s for _, s in maps) * 1000:.0f} ms"
        )
        lines.append(_library_line("synthetic", synthetic, written))
        lines.append(library_map_from_storage(Path(folder) / "stored", synthetic))
    return lines


def _library_line(which: str, playlists: list, written: dict[str, tuple[Path, float]]) -> str:
    from playlist_assets.analysis.library_projection import placed_clusters

    placed = len(set().union(*(placed_clusters(playlist.clustering).index for playlist in playlists)))
    path, seconds = written["library"]
    return (
        f"{which} library map: {placed:,} tracks, {_kb(path.stat().st_size)}, built and written in {seconds:.2f} s"
        "   (targets for 10,000 tracks: <= 3 MB, <= 2 s)"
    )


def _kb(size: float) -> str:
    return f"{size / 1000:,.0f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=1000, help="synthetic playlists (default 1000)")
    parser.add_argument("--tracks", type=int, default=10, help="tracks per synthetic playlist (default 10)")
    args = parser.parse_args(argv)
    print("\n".join(measure(args.playlists, args.tracks)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT))
    sys.exit(main())
