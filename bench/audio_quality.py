"""How right preview analysis is on real audio: tempo, loudness, and clustering of mixed styles.

    ./run.sh python bench/audio_quality.py [--mixes 40] [--quick]

Clips come from Debian packages (``audio_clips.py``: mma grooves rendered at exact tempos, OpenMSX MIDI pieces,
Nexuiz and Wesnoth Ogg soundtracks), 30 s of 128 kbps MP3 each, cached outside the repository. Printed:
- CPU per clip of ``describe_clip`` (decoding included), median and 90th percentile (target: median <= 100 ms);
- tempo of every rendered groove against mma's tempo: within 4 %, an octave off (x2, x1/2: counted apart), other
  (target: within 4 % or an octave off for >= 90 %);
- integrated loudness against pyloudnorm (an independent ITU-R BS.1770-4 meter) on the same decoded clip
  (target: within 1 LU);
- seeded mixes of 3 to 5 styles (40 on each of four seeds) clustered by ``analysis.cluster_features`` as the assets
  do: NMI against the styles, and mixes given one cluster (targets: mean NMI >= 0.5, none), beside KMeans told the
  number of styles.
``--quick`` uses 18 grooves and 3 mixes of mma styles only (needs mma, fluidsynth, timgm6mb-soundfont).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import statistics
import sys
import time
from collections import Counter

import audio_clips
import numpy as np
import pandas as pd
import pyloudnorm
import soundfile
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import StandardScaler

from playlist_assets.analysis import cluster_features
from playlist_assets.analysis.vocabulary import DESCRIBED_ONLY_COLUMNS, PREVIEW_COLUMNS
from playlist_assets.features.preview_analysis import describe_clip

TEMPI = (70, 90, 110, 130, 150)
QUICK_TEMPI = (90, 130)
#: mma grooves by the style a listener would name.
MMA_STYLES = {
    "latin (mma)": ("bossanova", "samba", "mambo", "chacha", "salsa", "merengue"),
    "rock and pop (mma)": ("basicrock", "50srock", "8beat", "softrock", "twist", "popballad"),
    "swing and jazz (mma)": ("swing", "jazzcombo", "bebop", "slowjazz", "dixie", "jive"),
}
#: Grooves rendered for the tempo test only.
OTHER_GROOVES = ("polka", "trance", "waltz", "ska", "tango", "ballad", "folk", "march", "bluegrass", "shuffleboggie",
                 "rockballad", "foxtrot")
TOLERANCE = 0.04
#: The descriptors the clustering groups by.
CLUSTERED = [column for column in PREVIEW_COLUMNS if column not in DESCRIBED_ONLY_COLUMNS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mixes", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 1, 2, 3], help="seeds of the style mixes")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if lacking := [p for p in audio_clips.missing() if p in audio_clips.REQUIRED]:
        sys.exit(f"audio_quality needs Debian packages: apt-get install {' '.join(lacking)}")
    print_sources(args.quick)
    styles, grooves = assemble(args.quick)
    clips = sorted({path for paths in styles.values() for path in paths} | {path for path, _ in grooves})
    described, cpu = describe_all(clips)
    print(f"Clips: {len(clips)} ({', '.join(f'{style} {len(paths)}' for style, paths in styles.items())}; "
          f"{len(grooves)} rendered grooves), cached in {audio_clips.CACHE}")
    print(f"CPU per clip (describe_clip, decoding included): median {statistics.median(cpu) * 1000:.0f} ms, "
          f"90th percentile {np.percentile(cpu, 90) * 1000:.0f} ms (target: median <= 100 ms)")
    report_tempo(grooves, described)
    report_loudness(clips, described)
    report_clustering(styles, described, 3 if args.quick else args.mixes, args.seeds[:1] if args.quick else args.seeds)


def print_sources(quick: bool) -> None:
    print("Sources (Debian packages; licences as their copyright files state):")
    for source in audio_clips.available():
        if not quick or source.package in audio_clips.REQUIRED:
            version = audio_clips.version(source.package)
            print(f"  {source.name}: {source.package} {version}, {source.licence} (/usr/share/doc/{source.package}/copyright)")
    if not quick and (absent := audio_clips.missing()):
        print(f"  not installed, left out: {', '.join(absent)} (apt-get install {' '.join(absent)})")


def assemble(quick: bool) -> tuple[dict[str, list], list[tuple]]:
    """Clips by style for the mixes, and (clip, tempo) of every rendered groove."""
    tempi = QUICK_TEMPI if quick else TEMPI
    per_style = {style: names[:3] if quick else names for style, names in MMA_STYLES.items()}
    extra = () if quick else OTHER_GROOVES
    grooves, styles = [], {style: [] for style in per_style}
    for style, names in per_style.items():
        for name in names:
            for tempo in tempi:
                path = audio_clips.groove(name, tempo)
                grooves.append((path, tempo))
                styles[style].append(path)
    grooves += [(audio_clips.groove(name, tempo), tempo) for name in extra for tempo in tempi]
    if not quick:
        present = {source.package for source in audio_clips.available()}
        if "openttd-openmsx" in present:
            styles["ragtime and blues piano (OpenMSX MIDI)"] = audio_clips.midi_pieces()
        if "nexuiz-music" in present:
            styles["electronic (Nexuiz)"] = audio_clips.ogg_tracks("nexuiz")
        if "wesnoth-1.16-music" in present:
            styles["orchestral (Wesnoth)"] = audio_clips.ogg_tracks("wesnoth")
    return styles, grooves


def describe_all(clips: list) -> tuple[dict, list[float]]:
    described, cpu = {}, []
    for path in clips:
        data = path.read_bytes()
        started = time.process_time()
        described[path] = describe_clip(data)
        cpu.append(time.process_time() - started)
    return described, cpu


def report_tempo(grooves: list[tuple], described: dict) -> None:
    kinds, misses = Counter(), []
    for path, tempo in grooves:
        ratio = described[path]["tempo_bpm"] / tempo
        octave = min(abs(ratio / 2 - 1), abs(ratio * 2 - 1)) <= TOLERANCE
        kind = "within" if abs(ratio - 1) <= TOLERANCE else "octave" if octave else "other"
        kinds[kind] += 1
        if kind == "other":
            misses.append(f"{path.stem} -> {described[path]['tempo_bpm']:.0f}")
    n = len(grooves)
    print(f"Tempo of {n} rendered grooves (mma's tempo): within 4 %: {kinds['within']} ({kinds['within'] / n:.0%}); "
          f"an octave off (x2 or x1/2, counted apart): {kinds['octave']} ({kinds['octave'] / n:.0%}); "
          f"other: {kinds['other']} ({kinds['other'] / n:.0%})")
    right = kinds["within"] + kinds["octave"]
    print(f"  within 4 % or an octave off: {right} of {n} ({right / n:.0%}) (target >= 90 %); "
          f"other errors: {', '.join(misses) or 'none'}")


def report_loudness(clips: list, described: dict) -> None:
    differences = []
    for path in clips:
        samples, rate = soundfile.read(io.BytesIO(path.read_bytes()), dtype="float64")
        reference = pyloudnorm.Meter(rate).integrated_loudness(samples)
        differences.append(abs(described[path]["loudness_lufs"] - reference))
    within = sum(d <= 1.0 for d in differences)
    print(f"Loudness against pyloudnorm {importlib.metadata.version('pyloudnorm')} "
          f"(ITU-R BS.1770-4) on the same decoded clips: within 1 LU: {within} of {len(clips)} "
          f"({within / len(clips):.0%}), median difference {statistics.median(differences):.2f} LU, "
          f"largest {max(differences):.2f} LU (target: within 1 LU)")


def report_clustering(styles: dict[str, list], described: dict, mixes: int, seeds: list[int]) -> None:
    names = [style for style, paths in styles.items() if len(paths) >= 4]
    print(f"Clustering {mixes} mixes of 3 to 5 styles on each of seeds {', '.join(map(str, seeds))} "
          f"(styles: {'; '.join(names)}), analysis.cluster_features on the descriptors:")
    total: dict[str, list] = {"project": [], "told": [], "k": []}
    for seed in seeds:
        project, told, ks, sizes = [], [], Counter(), []
        for labels, frame in _mixes(styles, names, described, mixes, seed):
            clustering = cluster_features(frame.assign(source="preview analysis"))
            project.append(normalized_mutual_info_score(labels, clustering.tracks["cluster"].reindex(frame.index)))
            ks[clustering.k] += 1
            sizes.append(len(frame))
            kmeans = KMeans(n_clusters=len(set(labels)), n_init=10, random_state=0)
            told.append(normalized_mutual_info_score(labels, kmeans.fit_predict(StandardScaler().fit_transform(frame[CLUSTERED]))))
        print(f"  seed {seed} ({min(sizes)} to {max(sizes)} clips): mean NMI {statistics.mean(project):.2f}, "
              f"mixes given one cluster {ks[1]} of {mixes}; k chosen {dict(sorted(ks.items()))}; "
              f"KMeans told the number of styles {statistics.mean(told):.2f}")
        total["project"] += project
        total["told"] += told
        total["k"].append(ks[1])
    n = len(total["project"])
    print(f"  all {n} mixes: mean NMI {statistics.mean(total['project']):.2f} (lowest {min(total['project']):.2f}), "
          f"given one cluster {sum(total['k'])} of {n} (targets: NMI >= 0.5, none); "
          f"KMeans told the number of styles, on the same columns: {statistics.mean(total['told']):.2f}")


def _mixes(styles: dict[str, list], names: list[str], described: dict, mixes: int, seed: int):
    """(style of each clip, descriptors) of ``mixes`` seeded mixes of 3 to 5 styles, 6 to 15 clips of each."""
    rng = np.random.default_rng(seed)
    for _ in range(mixes):
        chosen = rng.choice(names, size=min(len(names), int(rng.integers(3, 6))), replace=False)
        members = []
        for style in chosen:
            paths = styles[style]
            count = int(rng.integers(min(6, len(paths)), min(15, len(paths)) + 1))
            members += [(style, paths[i]) for i in rng.choice(len(paths), size=count, replace=False)]
        frame = pd.DataFrame([described[path] for _, path in members], index=[f"t{i}" for i in range(len(members))])
        yield [style for style, _ in members], frame


if __name__ == "__main__":
    main()
