"""How long rebuilding the library's index takes, for a library of N playlists (default 1,000).

On a temporary instance it records a page for every playlist (as clusters_page's materializations do, with a
preview of about 13 KB) and a failure for one in twenty (as an observation), then times what playlists_index
does: read the latest records in bulk, build the rows, render index.md and write it. Nothing is asked of a source.

    ./run.sh python bench/index.py [--playlists N] [--repeat R]
"""

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg

from playlist_assets.assets import clusters_page
from playlist_assets.assets.index import index_table, library_rows
from playlist_assets.model import PlaylistFailed, PlaylistInfo
from playlist_assets.page_record import PageRecord, failure_observation
from playlist_assets.partitions import add_playlist_partitions, base62_id
from playlist_assets.render import page_path
from playlist_assets.render.index import index_path, render_index
from playlist_assets.writers.files import write_atomically


#: About the size of the UI preview of a page of 100 tracks (13 KB), which every materialization of a page carries.
PREVIEW = "# Clusters in a playlist\n\n" + "| ![](https://i.scdn.co/image/ab67616d00004851) | Track | Album | Artist | Label | | |\n" * 150


def record_library(instance: dg.DagsterInstance, root: Path, playlists: int) -> None:
    listed = [PlaylistInfo(base62_id(f"bench playlist {n}"), f"Playlist {n}", f"snapshot-{n}") for n in range(playlists)]
    keys = add_playlist_partitions(instance, listed)
    for n, (key, playlist) in enumerate(zip(keys, listed)):
        page = page_path(root, key)
        write_atomically(page, b"# page\n")
        record = PageRecord(
            playlist=playlist.name,
            playlist_id=playlist.id,
            path=str(page),
            state="page written",
            k=1 + n % 6,
            silhouette=0.3,
            separation="partly separated",
            tracks=100,
            placed=100,
            snapshot_id=playlist.snapshot_id,
            feature_sources={"reccobeats": 90, "metadata": 10},
            preview=PREVIEW,  # as large as a page's preview
        )
        instance.report_runless_asset_event(
            dg.AssetMaterialization(clusters_page.key, partition=key, metadata=record.to_metadata())
        )
        if n % 20 == 0:
            failure = PlaylistFailed("Spotify answered 429 for 2 hours", playlist.name, "newer")
            instance.report_runless_asset_event(failure_observation(key, failure))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="playlist_index_bench_") as folder:
        root = Path(folder) / "output"
        with dg.instance_for_test(temp_dir=folder) as instance:
            started = time.perf_counter()
            record_library(instance, root, args.playlists)
            print(f"recorded {args.playlists:,} pages in {time.perf_counter() - started:.1f} s")
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                rows = library_rows(instance)
                read = time.perf_counter()
                path = index_path(root)
                write_atomically(path, render_index(rows, path).encode("utf-8"))
                index_table(rows)
                timings.append((read - started, time.perf_counter() - read))
            best_read, best_render = min(timings, key=sum)
            print(
                f"index of {len(rows):,} playlists: {best_read * 1000:.0f} ms reading the instance, "
                f"{best_render * 1000:.0f} ms rendering and writing ({path.stat().st_size:,} bytes); "
                f"best of {args.repeat}"
            )


if __name__ == "__main__":
    main()
