"""Real 30-second clips for ``audio_quality.py``, assembled from Debian packages and cached outside the repository.

Sources (each found where its package installs it; ``missing()`` names the packages to install):
- mma's grooves (accompaniments at an exact tempo) and OpenTTD's OpenMSX MIDI pieces, rendered by fluidsynth
  with the TimGM6mb General MIDI soundfont;
- the Ogg soundtracks of Nexuiz (electronic) and Battle for Wesnoth (orchestral).
Clips are 128 kbps MP3, like Deezer's previews, under ``$XDG_CACHE_HOME/playlist_assets/audio_bench`` (default
``~/.cache``); nothing is written into the repository.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "playlist_assets" / "audio_bench"
SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
OPENMSX = Path("/usr/share/games/openttd/baseset/openmsx")
NEXUIZ = Path("/usr/share/games/nexuiz/data/music.pk3")
WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
CLIP_SECONDS = 30
RATE = 44_100
#: soundfile's compression level giving constant 128 kbps MP3.
MP3_128_KBPS = 0.65
CHORDS = ("C", "Am", "Dm7", "G7")


@dataclass(frozen=True)
class Source:
    name: str
    package: str
    licence: str  # as the package's copyright file states it
    present: Path


SOURCES = (
    Source("mma grooves", "mma", "GPL-2+", Path("/usr/bin/mma")),
    Source("fluidsynth (renders MIDI)", "fluidsynth", "LGPL-2.1+", Path("/usr/bin/fluidsynth")),
    Source("TimGM6mb soundfont", "timgm6mb-soundfont", "GPL-2", SOUNDFONT),
    Source("OpenMSX (OpenTTD's MIDI music)", "openttd-openmsx", "GPL-2.0", OPENMSX),
    Source("Nexuiz music (electronic, Ogg)", "nexuiz-music", "GPL-2+", NEXUIZ),
    Source("Battle for Wesnoth music (orchestral, Ogg)", "wesnoth-1.16-music", "GPL-2+", WESNOTH),
)
#: Packages without which nothing can be rendered.
REQUIRED = ("mma", "fluidsynth", "timgm6mb-soundfont")


def available() -> list[Source]:
    return [source for source in SOURCES if source.present.exists()]


def missing() -> list[str]:
    return [source.package for source in SOURCES if not source.present.exists()]


def version(package: str) -> str:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def groove(name: str, tempo: int) -> Path:
    """mma's groove ``name`` at ``tempo`` (quarter notes a minute) over a I-vi-ii-V loop: 30 s from its 2nd second."""
    path = CACHE / "mma" / f"{name}_{tempo}.mp3"
    if not path.exists():
        bars = int(np.ceil((CLIP_SECONDS + 4) * tempo / 60 / 4)) + 1
        chart = f"Tempo {tempo}\nGroove {name}\n" + "".join(f"{bar + 1} {CHORDS[bar % 4]}\n" for bar in range(bars))
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "chart.mma").write_text(chart)
            _run(["mma", f"{folder}/chart.mma", "-f", f"{folder}/chart.mid"], f"mma groove {name}")
            samples = _rendered(Path(folder) / "chart.mid")
        _store(path, samples[2 * RATE : (2 + CLIP_SECONDS) * RATE])
    return path


def midi_pieces() -> list[Path]:
    """30 s of each OpenMSX piece long enough, from a third of the way in."""
    clips = []
    for piece in sorted(OPENMSX.glob("*.mid")):
        path = CACHE / "openmsx" / f"{piece.stem}.mp3"
        if not path.exists():
            samples = _rendered(piece)
            if len(samples) < (CLIP_SECONDS + 10) * RATE:
                continue
            start = min(len(samples) // 3, len(samples) - CLIP_SECONDS * RATE)
            _store(path, samples[start : start + CLIP_SECONDS * RATE])
        clips.append(path)
    return clips


def ogg_tracks(source: str) -> list[Path]:
    """30 s of each track of ``source`` ("nexuiz" or "wesnoth") long enough, from a third of the way in."""
    if source == "nexuiz":
        with zipfile.ZipFile(NEXUIZ) as pk3:
            names = [n for n in pk3.namelist() if n.endswith(".ogg")]
            tracks = {Path(n).stem: (lambda n=n: pk3.read(n)) for n in names}
            return _ogg_clips(source, tracks)
    tracks = {ogg.stem: ogg.read_bytes for ogg in sorted(WESNOTH.glob("*.ogg")) if ogg.stem != "silence"}
    return _ogg_clips(source, tracks)


def _ogg_clips(source: str, tracks: dict) -> list[Path]:
    clips = []
    for stem, read in sorted(tracks.items()):
        path = CACHE / source / f"{stem}.mp3"
        if not path.exists():
            samples, rate = soundfile.read(io.BytesIO(read()), dtype="float32", always_2d=True)
            if len(samples) < (CLIP_SECONDS + 10) * rate:
                continue
            start = len(samples) // 3
            _store(path, samples[start : start + CLIP_SECONDS * rate], rate)
        clips.append(path)
    return clips


def _rendered(midi: Path) -> np.ndarray:
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "out.wav"
        command = ["fluidsynth", "-ni", "-g", "0.6", "-F", str(wav), "-r", str(RATE), str(SOUNDFONT), str(midi)]
        _run(command, f"fluidsynth {midi.name}")
        samples, _ = soundfile.read(wav, dtype="float32", always_2d=True)
    return samples


def _store(path: Path, samples: np.ndarray, rate: int = RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="MP3", bitrate_mode="CONSTANT", compression_level=MP3_128_KBPS)
    partial = path.with_suffix(".part")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)


def _run(command: list[str], what: str) -> None:
    if shutil.which(command[0]) is None:
        raise SystemExit(f"{command[0]} is not installed: apt-get install {' '.join(REQUIRED)}")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {(done.stderr or done.stdout)[-300:]}")
