"""Descriptors of a 30-second preview, from its MP3 bytes (pure numpy/scipy; decoding by soundfile's libsndfile).

Method and measurements: ``docs/previews.md``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from math import gcd

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal
import soundfile
from threadpoolctl import ThreadpoolController

from playlist_assets.analysis.vocabulary import PREVIEW_COLUMNS

#: Rate of the spectral analysis (other rates are resampled to it), and its frame and hop: 46 ms frames,
#: 86 a second, of which the bins up to ``MAX_HZ`` are used.
ANALYSIS_RATE = 44_100
FRAME = 2048
HOP = 512
MAX_HZ = 11_025
MEL_BANDS = 40
#: Tempi considered, and the centre and spread (in octaves) of the prior that settles octave doubt.
TEMPO_RANGE = (50.0, 220.0)
TEMPO_PRIOR_BPM = 120.0
TEMPO_PRIOR_OCTAVES = 1.0
#: An onset is a peak of the onset strength standing ``ONSET_MARGIN`` standard deviations above its mean over
#: ``ONSET_CONTEXT`` frames (81 ms) around it, and at least ``ONSET_FLOOR`` dB (mean rise per mel band).
ONSET_CONTEXT = 7
ONSET_MARGIN = 0.5
ONSET_FLOOR = 2.0
#: Two consecutive intervals between onsets count as even when one is at most this much longer than the other.
EVEN_TOLERANCE = 0.2
#: Brightness is the frequency below which this share of a frame's power lies (spectral roll-off).
ROLLOFF_SHARE = 0.85
#: Bins whose pitch class counts in the chroma, in Hz.
CHROMA_RANGE = (60.0, 5000.0)
#: Shortest clip analysed, in seconds.
MIN_SECONDS = 5.0
#: Integrated loudness below this (LUFS) is silence.
SILENCE_LUFS = -70.0


class UnusableAudio(ValueError):
    """The bytes are not audio that can be described (undecodable, too short, silent)."""


def describe_clip(mp3: bytes) -> dict[str, float]:
    """The ``PREVIEW_COLUMNS`` of one clip; raises ``UnusableAudio``.

    BLAS runs on one thread meanwhile: its idle threads would spin for as long again as the work.
    """
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _described(mp3)


def _described(mp3: bytes) -> dict[str, float]:
    try:
        samples, rate = soundfile.read(io.BytesIO(mp3), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
        raise UnusableAudio(f"not decodable audio ({error})") from None
    if len(samples) < MIN_SECONDS * rate:
        raise UnusableAudio(f"{len(samples) / rate:.1f} s of audio, at least {MIN_SECONDS:g} s needed")
    loudness, loudness_range = integrated_loudness(samples, rate)
    if loudness <= SILENCE_LUFS:
        raise UnusableAudio("silent")
    mono = _resampled(samples.sum(axis=1) if samples.shape[1] > 2 else samples[:, 0] + samples[:, -1], rate)
    power = _power_spectrogram(mono)
    log_mel = 10 * np.log10(power @ _mel_filters().T + 1e-10)
    onsets = _onset_strength(log_mel)
    frames_per_second = ANALYSIS_RATE / HOP
    bpm, beat_strength = tempo(onsets, frames_per_second)
    heard = power[_audible(power)]  # the frames within 40 dB of the loudest
    onset_positions = onset_frames(onsets)
    descriptors = {
        "tempo_bpm": bpm,
        "beat_strength": beat_strength,
        "loudness_lufs": loudness,
        "dynamics_lu": loudness_range,
        "brightness_hz": _rolloff(heard),
        "percussiveness": float(onsets.std() / max(onsets.mean(), 1e-9)),
        "onset_rate": len(onset_positions) * frames_per_second / len(onsets),
        "rhythm_evenness": rhythm_evenness(onset_positions),
        "intensity": float(onsets.mean() * frames_per_second),
        "chroma_flux": _chroma_flux(heard),
    }
    return {column: round(float(descriptors[column]), 4) for column in PREVIEW_COLUMNS}


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def integrated_loudness(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """ITU-R BS.1770-4 integrated loudness (LUFS) of (samples, channels) and its loudness range (LU, EBU Tech 3342).

    Channels are weighted 1 (up to 3 channels: left, right, centre; surround weights are not applied).
    """
    weighted = scipy.signal.sosfilt(_k_weighting(rate).astype(np.float32), samples, axis=0)
    tenth = rate // 10
    tenths = weighted[: len(weighted) // tenth * tenth].reshape(-1, tenth, weighted.shape[1])
    power = np.einsum("ijk,ijk->i", tenths, tenths, dtype=np.float64) / tenth

    def blocks(size: int, hop: int) -> np.ndarray:
        sums = np.convolve(power, np.ones(size), mode="valid")[::hop]
        return sums / size

    loudness = _gated_loudness(blocks(4, 1))
    short_term = blocks(30, 10)
    audible = short_term[_lufs(short_term) > SILENCE_LUFS]
    kept = _lufs(audible[_lufs(audible) > _lufs(audible.mean()) - 20]) if len(audible) else np.array([0.0])
    low, high = np.percentile(kept, [10, 95])
    return loudness, float(high - low)


def tempo(onsets: np.ndarray, frames_per_second: float) -> tuple[float, float]:
    """Beats per minute and beat strength. The beat is the lag whose autocorrelation of the onset strength, plus that
    at twice the lag (a beat is borne out two beats on), weighted by a log-normal prior around 120 BPM, is highest,
    refined on its multiples (2, 3 and 4 beats) with parabolic interpolation. The strength is the highest
    autocorrelation at any tempo considered (0: no pulse, 1: every beat alike), whichever octave the tempo is read in."""
    smoothed = np.convolve(onsets, np.hanning(5)[1:-1] / 2, mode="same")  # onsets between two frames count in both
    centred = smoothed - smoothed.mean()
    size = scipy.fft.next_fast_len(2 * len(centred))
    spectrum = scipy.fft.rfft(centred, size)
    correlation = scipy.fft.irfft(spectrum * np.conj(spectrum), size)[: len(centred)]
    if correlation[0] <= 0:
        return TEMPO_PRIOR_BPM, 0.0
    correlation /= correlation[0]
    lags = np.arange(len(correlation), dtype=float)
    shortest = int(frames_per_second * 60 / TEMPO_RANGE[1])
    longest = int(np.ceil(frames_per_second * 60 / TEMPO_RANGE[0]))
    candidates = lags[shortest : longest + 1]
    bpm = 60 * frames_per_second / candidates
    prior = np.exp(-0.5 * (np.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
    positive = np.clip(correlation, 0, None)
    two_beats = scipy.ndimage.maximum_filter1d(positive, 3)[np.minimum(2 * candidates.astype(int), len(positive) - 1)]
    beat = candidates[np.argmax((positive[shortest : longest + 1] + two_beats) * prior)]
    refined = [_peak_near(correlation, beat * multiple) / multiple for multiple in (1, 2, 3, 4)]
    refined = [lag for lag in refined if abs(lag - beat) <= 1] or [beat]
    strength = positive[shortest : longest + 1].max()
    return float(60 * frames_per_second / np.mean(refined)), float(np.clip(strength, 0, 1))


def onset_frames(onsets: np.ndarray) -> np.ndarray:
    """The frames of the onsets: peaks of the onset strength that stand out from the frames around them (see above)."""
    local = np.convolve(onsets, np.ones(ONSET_CONTEXT) / ONSET_CONTEXT, mode="same")[1:-1]
    middle = onsets[1:-1]
    peaks = (middle > onsets[:-2]) & (middle >= onsets[2:]) & (middle > local + ONSET_MARGIN * onsets.std())
    return np.flatnonzero(peaks & (middle >= ONSET_FLOOR)) + 1


def rhythm_evenness(frames: np.ndarray) -> float:
    """The share of consecutive intervals between onsets (at ``frames``) that are within ``EVEN_TOLERANCE`` of each
    other: 1 for a metronome, lower for swung, syncopated or free rhythm; 0 below three onsets."""
    intervals = np.diff(frames)
    if len(intervals) < 2:
        return 0.0
    return float(np.mean(np.abs(np.log(intervals[1:] / intervals[:-1])) <= np.log(1 + EVEN_TOLERANCE)))


def _peak_near(correlation: np.ndarray, lag: float) -> float:
    """The interpolated position of the autocorrelation's highest point within one frame of ``lag``."""
    centre = int(round(lag))
    if centre + 2 >= len(correlation):
        return float("inf")
    centre = centre - 1 + int(np.argmax(correlation[centre - 1 : centre + 2]))
    below, at, above = correlation[centre - 1 : centre + 2]
    curvature = below - 2 * at + above
    return centre + (0.5 * (below - above) / curvature if curvature < 0 else 0.0)


def _gated_loudness(block_power: np.ndarray) -> float:
    """BS.1770 gating: blocks above -70 LUFS, then above the mean of those minus 10 LU."""
    audible = block_power[_lufs(block_power) > SILENCE_LUFS]
    if not len(audible):
        return SILENCE_LUFS
    kept = audible[_lufs(audible) > _lufs(audible.mean()) - 10]
    return float(_lufs(kept.mean()))


def _lufs(power: np.ndarray | float) -> np.ndarray:
    return -0.691 + 10 * np.log10(np.maximum(power, 1e-20))


@lru_cache(maxsize=8)
def _k_weighting(rate: int) -> np.ndarray:
    """The two BS.1770 K-weighting biquads (high shelf, then high pass) at ``rate``, as second-order sections."""
    shelf_gain, shelf_q, shelf_hz = 3.99984385397, 0.7071752369554193, 1681.974450955533
    highpass_q, highpass_hz = 0.5003270373253953, 38.13547087613982
    k = np.tan(np.pi * shelf_hz / rate)
    vh = 10 ** (shelf_gain / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / shelf_q + k * k
    shelf = [(vh + vb * k / shelf_q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / shelf_q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / shelf_q + k * k) / a0]
    k = np.tan(np.pi * highpass_hz / rate)
    a0 = 1 + k / highpass_q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / highpass_q + k * k) / a0]
    return np.array([shelf, highpass])


def _resampled(mono: np.ndarray, rate: int) -> np.ndarray:
    if rate == ANALYSIS_RATE:
        return mono
    common = gcd(rate, ANALYSIS_RATE)
    return scipy.signal.resample_poly(mono, ANALYSIS_RATE // common, rate // common).astype(np.float32)


def _power_spectrogram(mono: np.ndarray) -> np.ndarray:
    """Power of the bins up to ``MAX_HZ`` of each frame (Hann window), one row per frame."""
    frames = np.lib.stride_tricks.sliding_window_view(mono, FRAME)[::HOP]
    spectrum = scipy.fft.rfft(frames * _window(), axis=1)[:, : len(_bins())]
    return spectrum.real**2 + spectrum.imag**2


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    return np.hanning(FRAME).astype(np.float32)


@lru_cache(maxsize=1)
def _bins() -> np.ndarray:
    """Frequencies (Hz) of the bins analysed."""
    bins = np.fft.rfftfreq(FRAME, 1 / ANALYSIS_RATE)
    return bins[bins <= MAX_HZ].astype(np.float32)


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """``MEL_BANDS`` triangular filters, equally spaced on the mel scale from 0 to ``MAX_HZ``, each of unit area."""
    mel = np.linspace(0, 2595 * np.log10(1 + MAX_HZ / 700), MEL_BANDS + 2)
    edges = 700 * (10 ** (mel / 2595) - 1)
    bins = _bins()
    rising = (bins[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    falling = (edges[2:, None] - bins[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    triangles = np.clip(np.minimum(rising, falling), 0, None)
    return (triangles * (2 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def _onset_strength(log_mel: np.ndarray) -> np.ndarray:
    """Mean rise, in dB per mel band, from each frame to the next (spectral flux of the log-mel spectrogram)."""
    floored = np.maximum(log_mel, log_mel.max() - 80)
    return np.clip(np.diff(floored, axis=0), 0, None).mean(axis=1)


def _audible(power: np.ndarray) -> np.ndarray:
    """Which frames are within 40 dB of the loudest."""
    energy = power.sum(axis=1)
    return energy > energy.max() * 1e-4


def _rolloff(power: np.ndarray) -> float:
    """The mean over ``power``'s frames of the frequency (Hz) below which ``ROLLOFF_SHARE`` of the frame's power lies."""
    cumulative = np.cumsum(power, axis=1)
    below = (cumulative >= ROLLOFF_SHARE * cumulative[:, -1:]).argmax(axis=1)
    return float(np.mean(_bins()[below]))


def _chroma_flux(power: np.ndarray) -> float:
    """The mean change, from each of ``power``'s frames to the next, of the share of its power in each of the 12
    pitch classes (0: the same notes held, 2: every frame on other notes)."""
    chroma = power @ _pitch_classes()
    shares = chroma / np.maximum(chroma.sum(axis=1, keepdims=True), 1e-12)
    return float(np.abs(np.diff(shares, axis=0)).sum(axis=1).mean())


@lru_cache(maxsize=1)
def _pitch_classes() -> np.ndarray:
    """(bins, 12): 1 where a bin within ``CHROMA_RANGE`` is nearest that pitch class (A = 0, equal temperament)."""
    bins = _bins()
    inside = (bins > CHROMA_RANGE[0]) & (bins < CHROMA_RANGE[1])
    classes = np.round(12 * np.log2(bins[inside] / 440.0)).astype(int) % 12
    matrix = np.zeros((len(bins), 12), dtype=np.float32)
    matrix[np.flatnonzero(inside), classes] = 1
    return matrix
