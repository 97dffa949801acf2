"""What publishing the clusters to Spotify costs in requests, against the README's formula; print the figures.

    ./run.sh python bench/publish_requests.py                  # 60 playlists of 40 to 400 tracks
    ./run.sh python bench/publish_requests.py --playlists 5

A fake account on 127.0.0.1 (the tests' stub, with Spotify's 2026 write endpoints) and a fresh instance.
Synthetic playlists, each with 2 to 5 clusters of uneven sizes (one in ten with no natural clusters), are
published three times through the real client: the first publish, a rerun with nothing changed, and an edit
(one track out and one in, in every playlist, under a new snapshot). Printed for each: the requests by kind,
and for the first publish the formula: P·k creations plus, per cluster, one write per started 100 tracks
(between n/100 and n/100 + P·k).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # run as a script: the project's playlist_assets_tests package

from playlist_assets.model import PlaylistInfo  # noqa: E402
from playlist_assets.publishing import DesiredCluster  # noqa: E402
from playlist_assets.writers.spotify import publish  # noqa: E402
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount  # noqa: E402

#: The requests counted, by kind.
KINDS = ("reads", "creations", "PUT items", "POST items", "PUT details", "unfollows")


def library(playlists: int, seed: int) -> list[tuple[PlaylistInfo, dict[int, DesiredCluster]]]:
    """Synthetic playlists and their clusters (tracks dealt to clusters of uneven sizes, in playlist order)."""
    rng = random.Random(seed)
    made = []
    for number in range(playlists):
        size = rng.randint(40, 400)
        k = 0 if number % 10 == 9 else rng.randint(2, 5)
        weights = [rng.uniform(0.3, 1.0) for _ in range(k)]
        members: dict[int, list[str]] = {cluster: [] for cluster in range(1, k + 1)}
        for position in range(size if k else 0):
            cluster = rng.choices(range(1, k + 1), weights)[0] if position >= k else position + 1
            members[cluster].append(f"spotify:track:p{number}t{position}")
        desired = {c: DesiredCluster(f"Sound {c}", tuple(uris)) for c, uris in members.items()}
        made.append((PlaylistInfo(id=f"src{number}", name=f"Playlist {number}", snapshot_id="s1"), desired))
    return made


def edited(playlist: PlaylistInfo, desired: dict[int, DesiredCluster], rng: random.Random):
    """The playlist under a new snapshot with one track out (of its first cluster) and one in (its last)."""
    if not desired:
        return PlaylistInfo(playlist.id, playlist.name, "s2"), desired
    first, last = min(desired), max(desired)
    out = rng.randrange(len(desired[first].uris))
    changed = dict(desired)
    changed[first] = DesiredCluster(desired[first].name, desired[first].uris[:out] + desired[first].uris[out + 1 :])
    changed[last] = DesiredCluster(changed[last].name, (*changed[last].uris, f"spotify:track:{playlist.id}new"))
    return PlaylistInfo(playlist.id, playlist.name, "s2"), changed


def kind(method: str, path: str) -> str:
    """Which of ``KINDS`` a request is."""
    if method == "GET":
        return "reads"
    if path == "/v1/me/playlists":
        return "creations"
    tail = path.rsplit("/", 1)[-1]
    return f"{method} items" if tail == "items" else "unfollows" if tail == "followers" else "PUT details"


@dataclass
class Measured:
    """The figures of one benchmark run."""

    playlists: int
    tracks: int  # in clusters
    clusters: list[int]  # k of each playlist (0: no natural clusters)
    formula: int  # the first publish's writes by the formula: P·k creations + one write per started 100 tracks
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # round -> requests by kind
    seconds: dict[str, float] = field(default_factory=dict)
    exact: bool = False  # every playlist holds exactly its cluster's tracks, in order, after the edit
    made: int = 0  # playlists made by playlist_assets in the account


ROUNDS = ("first publish", "rerun, nothing changed", "edit: 1 track out + 1 in, each playlist")


def measure(playlists: int, seed: int) -> Measured:
    made = library(playlists, seed)
    rng = random.Random(seed + 1)
    rounds = dict(zip(ROUNDS, [made, made, [edited(p, d, rng) for p, d in made]]))
    every = [cluster for _, desired in made for cluster in desired.values()]
    measured = Measured(
        playlists,
        tracks=sum(len(cluster.uris) for cluster in every),
        clusters=[len(desired) for _, desired in made],
        formula=len(every) + sum(math.ceil(len(cluster.uris) / 100) for cluster in every),
    )
    with FakeSpotifyAccount() as account, tempfile.TemporaryDirectory() as folder, dg.instance_for_test() as instance:
        client = account.source(Path(folder)).client()
        for title, playlists_now in rounds.items():
            before = len(account.server.requests)
            started = time.perf_counter()
            for playlist, desired in playlists_now:
                publish(instance, client, playlist, desired)
            measured.seconds[title] = time.perf_counter() - started
            measured.counts[title] = Counter(kind(r.method, r.path) for r in account.server.requests[before:])
        measured.exact = all(
            account.track_ids(playlist_id) == [uri.rsplit(":", 1)[1] for uri in desired[cluster].uris]
            for playlist, desired in rounds[ROUNDS[2]]
            for cluster, playlist_id in publish(instance, client, playlist, desired).playlist_ids.items()
        )
        measured.made = len(account.owned_by_app())
    return measured


def report(measured: Measured) -> list[str]:
    k, n = sum(measured.clusters), measured.tracks
    lines = [
        f"{measured.playlists} playlists, {n:,} tracks in clusters, {k} clusters "
        f"(k = 2 to 5; {measured.clusters.count(0)} playlists with no natural clusters)",
        f"{'':42}" + "".join(f"{name:>13}" for name in ("requests", *KINDS)) + f"{'seconds':>10}",
    ]
    for title in ROUNDS:
        counts = measured.counts[title]
        figures = [sum(counts.values()), *(counts[name] for name in KINDS)]
        lines.append(f"{title:42}" + "".join(f"{figure:>13,}" for figure in figures) + f"{measured.seconds[title]:>10.2f}")
    writes = sum(measured.counts[ROUNDS[0]].values()) - measured.counts[ROUNDS[0]]["reads"]
    lines += [
        f"formula, first publish: P·k creations + one write per started 100 tracks of each cluster = "
        f"{measured.formula} (between P·k + n/100 = {k + n / 100:.0f} and 2·P·k + n/100 = {2 * k + n / 100:.0f}); "
        f"measured: {writes} writes",
        f"each published playlist holds exactly its cluster's tracks, in order: {'yes' if measured.exact else 'NO'}",
        f"playlists made by playlist_assets in the account: {measured.made}",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playlists", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("\n".join(report(measure(args.playlists, args.seed))))


if __name__ == "__main__":
    main()
