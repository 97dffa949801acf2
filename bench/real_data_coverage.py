"""Coverage on real exports: playlists, tracks placed, not placed by reason, feature sources used.

    .venv/bin/python bench/real_data_coverage.py [/work/shared/real_data]

Runs each set under ``exportify/`` (ExportifySource) and ``account_export/`` (AccountExportSource) in
place (nothing is copied) through the feature chain without network (export numbers, then metadata;
ReccoBeats and Spotify off) and ``analysis.cluster_features``, as the assets do. Not in the tests.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from pathlib import Path

from playlist_assets.analysis import cluster_features, not_placed_reasons
from playlist_assets.features import ExportFeatures, FeatureChain
from playlist_assets.render.markdown import count
from playlist_assets.sources import AccountExportSource, ExportifySource, PlaylistSource

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "real_data"


def coverage(source: PlaylistSource, chain: FeatureChain) -> dict[str, Counter]:
    """Counters over every playlist of ``source``: playlists, tracks, not placed / left out by reason, sources."""
    totals = {name: Counter() for name in ("playlists", "tracks", "not placed", "left out", "sources", "errors")}
    for playlist in source.list_playlists():
        try:
            fetched = source.fetch_playlist(playlist.id)
        except ValueError as error:
            totals["errors"][str(error)] += 1
            continue
        features = chain.features(fetched.tracks)
        clustering = cluster_features(features)
        placed = clustering.tracks.index[clustering.tracks["cluster"] >= 1]
        unplaced = fetched.tracks.index.difference(placed)
        kind = "unreadable" if fetched.unreadable else f"k={clustering.k}" if clustering.k < 2 else "k>=2"
        totals["playlists"].update(["all", kind])
        totals["tracks"].update({"all": len(fetched.tracks), "placed": len(placed)})
        totals["left out"].update(fetched.skipped)
        totals["sources"].update(features["source"])
        if clustering.clustered:
            totals["not placed"].update(not_placed_reasons(features, unplaced))
        elif len(unplaced):
            why = re.sub(r"^\d+ tracks?: ", "", clustering.note)
            totals["not placed"][f"playlist not clustered: {why}"] += len(unplaced)
    return totals


def report(name: str, totals: dict[str, Counter], seconds: float) -> str:
    playlists, tracks = totals["playlists"], totals["tracks"]
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(playlists.items()) if kind != "all")
    lines = [
        f"## {name}",
        f"playlists: {playlists['all']} ({kinds}); files with errors: {sum(totals['errors'].values())}",
        f"tracks: {tracks['all']}, placed {tracks['placed']}, not placed {tracks['all'] - tracks['placed']}",
    ]
    lines += [f"  not placed, {reason}: {n}" for reason, n in totals["not placed"].most_common()]
    left_out = ", ".join(count(n, reason) for reason, n in totals["left out"].most_common())
    lines.append(f"items left out (not tracks): {left_out or 'none'}")
    lines.append("feature sources: " + (", ".join(f"{s} {n}" for s, n in totals["sources"].most_common()) or "none"))
    lines += [f"  error: {error}" for error in totals["errors"]]
    lines.append(f"time: {seconds:.1f} s")
    return "\n".join(lines)


def main(root: Path) -> None:
    sets = [
        *(
            (folder, ExportifySource(path=str(folder)), FeatureChain(export=ExportFeatures()))
            for folder in sorted((root / "exportify").iterdir())
            if folder.is_dir()
        ),
        *(
            (folder, AccountExportSource(path=str(folder)), FeatureChain())
            for folder in sorted((root / "account_export").iterdir())
            if folder.is_dir()
        ),
    ]
    for folder, source, chain in sets:
        started = time.perf_counter()
        totals = coverage(source, chain)
        print(report(folder.relative_to(root).as_posix(), totals, time.perf_counter() - started), end="\n\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ROOT)
