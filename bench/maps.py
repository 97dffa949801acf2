"""Sizes and build times of the interactive maps: the demo library's and a synthetic library's.

    ./run.sh python bench/maps.py                              # the demo, and 1,000 synthetic playlists of 10 tracks
    ./run.sh python bench/maps.py --playlists 100 --tracks 50

Clusterings come straight from the pure functions (``cluster_features`` on each playlist's features), then each
clustered playlist's map, the library map and the shared script are written to a temporary folder where the
assets put them. Printed: the shared script's size; per playlist of the demo, the map's size and build time;
for each library, the median playlist map and the library map (size, time to build its HTML).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def write_maps(root: Path, playlists: list) -> dict[str, tuple[Path, float]]:
    """Writes the shared script, each clustered playlist's map beside its page and the library map at the top of
    ``root``, as the assets do; {playlist name or "library": (map file, seconds to build its HTML)}."""
    from playlist_assets.render.maps import MAP_FILE_NAME, render_library_map, render_playlist_map, shared_script
    from playlist_assets.render.paths import page_path, playlist_slug, relative_link

    name, script = shared_script()
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(script)
    written = {}
    for number, playlist in enumerate(playlists):
        if not playlist.clustering.clustered:
            continue
        path = page_path(root, playlist_slug(f"playlist{number}", playlist.name)).with_name(MAP_FILE_NAME)
        started = time.perf_counter()
        html = render_playlist_map(
            playlist.tracks, playlist.features, playlist.clustering, playlist.name,
            relative_link(path, root / name),
        )
        written[playlist.name] = (path, time.perf_counter() - started)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    started = time.perf_counter()
    html = render_library_map(playlists, name)
    written["library"] = (root / MAP_FILE_NAME, time.perf_counter() - started)
    (root / MAP_FILE_NAME).write_text(html, encoding="utf-8")
    return written


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
                             f"built in {seconds * 1000:.0f} ms")
        lines.append(_library_line("demo", demo, written))
        started = time.perf_counter()
        synthetic = synthetic_playlists(playlists, tracks)
        clustered = time.perf_counter() - started
        written = write_maps(Path(folder) / "synthetic", synthetic)
        maps = [written[playlist.name] for playlist in synthetic if playlist.name in written]
        lines.append(
            f"synthetic library, {playlists:,} playlists x {tracks} tracks (read and clustered in {clustered:.1f} s): "
            f"{len(maps):,} playlist maps, median {_kb(statistics.median(p.stat().st_size for p, _ in maps))}, "
            f"median build {statistics.median(s for _, s in maps) * 1000:.0f} ms"
        )
        lines.append(_library_line("synthetic", synthetic, written))
    return lines


def _library_line(which: str, playlists: list, written: dict[str, tuple[Path, float]]) -> str:
    from playlist_assets.analysis.library_projection import placed_clusters

    placed = len(set().union(*(placed_clusters(playlist.clustering).index for playlist in playlists)))
    path, seconds = written["library"]
    return (
        f"{which} library map: {placed:,} tracks, {_kb(path.stat().st_size)}, built in {seconds:.2f} s"
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
