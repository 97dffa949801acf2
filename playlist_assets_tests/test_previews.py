"""Preview analysis through real HTTP: a stub Deezer on 127.0.0.1 serving MP3 clips made here."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pyloudnorm
import pytest
import soundfile

from playlist_assets.features.deezer import (
    DEEZER_FAILED,
    NO_PREVIEW,
    NOT_ON_DEEZER,
    TIMED_OUT,
    UNUSABLE,
    RateLimiter,
    normalised,
)
from playlist_assets.features.preview_analysis import UnusableAudio, describe_clip
from playlist_assets.model import WHY_MISSING
from playlist_assets.sources import web_api
from playlist_assets_tests.deezer_stub import QUOTA, FakeDeezer, click_track, mp3, noise, tone
from playlist_assets_tests.stub_http import StubResponse


def track_table(entries: list[dict]) -> pd.DataFrame:
    """A track table as sources give it; each entry: id, name, artists, isrc, duration_ms (others defaulted)."""
    rows = {
        entry["id"]: {
            "name": entry.get("name", f"Song {entry['id']}"),
            "album": "Album",
            "album_art_url": "",
            "artists": tuple(entry.get("artists", ("Artist",))),
            "artist_ids": (),
            "label": "",
            "release_date": "2020-01-01",
            "duration_ms": entry.get("duration_ms", 180_000),
            "explicit": False,
            "isrc": entry.get("isrc", ""),
            "added_at": "",
            "position": position,
            "url": "",
        }
        for position, entry in enumerate(entries)
    }
    return web_api.track_frame(rows)


def track_id(n: int) -> str:
    return f"{n:022d}"


# What is measured on a clip


@pytest.mark.parametrize("bpm", [72, 100, 128, 150])
def test_the_tempo_of_a_click_track_is_found_within_2_percent(bpm):
    found = describe_clip(click_track(bpm))["tempo_bpm"]
    assert found == pytest.approx(bpm, rel=0.02)


def test_clicks_have_a_strong_beat_and_are_percussive_where_noise_has_no_beat_and_a_tone_is_smooth():
    clicks, hiss, sine = (describe_clip(clip) for clip in (click_track(120), noise(-20), tone(-20)))
    assert clicks["beat_strength"] > 0.8 > 0.2 > hiss["beat_strength"]
    assert clicks["percussiveness"] > 3 * max(hiss["percussiveness"], sine["percussiveness"])


@pytest.mark.parametrize("bpm", [60, 120, 150])
def test_a_click_track_has_one_onset_a_beat_and_steady_noise_or_a_tone_next_to_none(bpm):
    assert describe_clip(click_track(bpm))["onset_rate"] == pytest.approx(bpm / 60, rel=0.05)
    assert describe_clip(noise(-20))["onset_rate"] < 0.2
    assert describe_clip(tone(-20))["onset_rate"] < 0.2


@pytest.mark.parametrize("clip", [tone(-6), tone(-26), tone(-12, hz=100), noise(-20), click_track(100)])
def test_loudness_agrees_with_pyloudnorm_within_0_1_lu(clip):
    samples, rate = soundfile.read(io.BytesIO(clip), dtype="float64")
    reference = pyloudnorm.Meter(rate).integrated_loudness(samples)
    assert describe_clip(clip)["loudness_lufs"] == pytest.approx(reference, abs=0.1)


def test_a_tone_20_db_lower_is_20_lu_quieter_and_a_1khz_sine_reads_as_bs1770_says():
    loud, quiet = describe_clip(tone(-6))["loudness_lufs"], describe_clip(tone(-26))["loudness_lufs"]
    assert loud - quiet == pytest.approx(20, abs=0.1)
    assert loud == pytest.approx(-6.0, abs=0.15)  # stereo 1 kHz sine of peak A: 20 log10(A) LUFS


def test_noise_is_brighter_than_a_low_tone_and_a_quiet_tone_is_as_dark_as_a_loud_one():
    low = describe_clip(tone(-12, hz=200))["brightness_hz"]
    assert describe_clip(noise(-20))["brightness_hz"] > 10 * low
    assert describe_clip(tone(-30, hz=200))["brightness_hz"] == pytest.approx(low, rel=0.05)


def test_a_held_tone_has_next_to_no_chroma_flux_a_melody_much_more_and_noise_most():
    rate, note = 44_100, np.arange(44_100 // 4) / 44_100
    arpeggio = np.concatenate([0.3 * np.sin(2 * np.pi * 440 * 2 ** (step / 12) * note) for step in (0, 4, 7, 12) * 30])
    held, melody, hiss = (
        describe_clip(clip)["chroma_flux"] for clip in (tone(-20), mp3(np.column_stack([arpeggio, arpeggio]), rate), noise(-20))
    )
    assert held < 0.01 and melody > 10 * held and hiss > melody


def test_clicks_twice_as_often_are_more_intense_and_a_steady_tone_is_gentlest():
    slow, fast, steady = (describe_clip(clip)["intensity"] for clip in (click_track(60), click_track(150), tone(-20)))
    assert fast > 2 * slow and slow > 5 * steady


def test_straight_eighths_have_an_even_rhythm_swung_ones_an_uneven_one_and_a_tone_none():
    straight, swung, held = (
        describe_clip(clip)["rhythm_evenness"]
        for clip in (click_track(100, offbeat=0.5), click_track(100, offbeat=2 / 3), tone(-20))
    )
    assert straight > 0.9 and swung < 0.1 and held == 0


def test_clips_at_another_sample_rate_give_the_same_tempo():
    assert describe_clip(click_track(128, rate=22_050))["tempo_bpm"] == pytest.approx(128, rel=0.02)


@pytest.mark.parametrize("clip", [b"not audio at all", mp3(np.zeros(4 * 44_100)), mp3(np.zeros(10 * 44_100))])
def test_undecodable_short_or_silent_clips_are_unusable(clip):
    with pytest.raises(UnusableAudio):
        describe_clip(clip)


# Finding the preview


def test_a_track_is_found_by_isrc_and_its_preview_measured_in_memory():
    with FakeDeezer() as deezer:
        deezer.add("USAAA0000001", "Click", "Metronome", 180, click_track(128))
        found = deezer.provider().features(track_table([{"id": track_id(1), "isrc": "usaaa0000001"}]))
        paths = deezer.server.paths()

    assert paths[0] == "/track/isrc:USAAA0000001" and paths[1].startswith("/preview/1000.mp3")
    assert len(paths) == 2
    assert found.loc[track_id(1), "tempo_bpm"] == pytest.approx(128, rel=0.02)
    assert found.loc[track_id(1), "source"] == "preview analysis"


def test_without_an_isrc_a_search_hit_counts_only_when_title_artist_and_duration_all_match():
    with FakeDeezer() as deezer:
        deezer.add("", "Beyonce Song (Live)", "Beyoncé", 200, click_track(90))  # another version: title differs
        deezer.add("", "Halo", "Beyonce Tribute Band", 200, click_track(100))  # another artist
        deezer.add("", "Halo", "Beyoncé", 212, click_track(110))  # 12 s longer: another recording
        deezer.add("", "Halo (feat. Someone)", "BEYONCE", 201, click_track(120))  # the one
        deezer.add("", "Other Song", "Other Artist", 200, click_track(130))
        tracks = track_table([
            {"id": track_id(1), "name": "Halo", "artists": ("Beyoncé",), "duration_ms": 200_000},
            {"id": track_id(2), "name": "Other Song - Remastered 2011", "artists": ("Other Artist",), "duration_ms": 0},
            {"id": track_id(3), "name": "Halo", "artists": ("Someone Else",), "duration_ms": 200_000},
        ])
        found = deezer.provider().features(tracks)

    assert found.loc[track_id(1), "tempo_bpm"] == pytest.approx(120, rel=0.02)
    assert found.loc[track_id(2), "tempo_bpm"] == pytest.approx(130, rel=0.02)  # duration unknown: title and artist
    assert found.attrs[WHY_MISSING] == {track_id(3): NOT_ON_DEEZER}


def test_an_isrc_deezer_does_not_know_falls_back_to_the_search():
    with FakeDeezer() as deezer:
        deezer.add("USNEW0000001", "Song", "Band", 180, click_track(100))
        tracks = track_table([{"id": track_id(1), "name": "Song", "artists": ("Band",), "isrc": "USOLD0000001"}])
        found = deezer.provider().features(tracks)
        paths = deezer.api_paths()

    assert paths == ["/track/isrc:USOLD0000001", "/search"]
    assert list(found.index) == [track_id(1)]


def test_unreadable_tracks_and_empty_previews_have_no_preview():
    with FakeDeezer() as deezer:
        deezer.add("USAAA0000001", "Blocked", "Band", 180, click_track(100), readable=False)
        deezer.add("USAAA0000002", "Empty", "Band", 180, None)
        deezer.add("USAAA0000003", "Broken", "Band", 180, b"ID3 then garbage")
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA000000{n}"} for n in (1, 2, 3)])
        found = deezer.provider().features(tracks)

    assert found.empty
    assert found.attrs[WHY_MISSING] == {track_id(1): NO_PREVIEW, track_id(2): NO_PREVIEW, track_id(3): UNUSABLE}


# Deezer's errors, limits and slowness


def test_quota_exceeded_is_waited_out_and_asked_again():
    with FakeDeezer() as deezer:
        deezer.add("USAAA0000001", "Song", "Band", 180, click_track(100))
        deezer.fail("/track/isrc:", StubResponse(json=QUOTA), StubResponse(json=QUOTA))
        found = deezer.provider(attempts=3).features(track_table([{"id": track_id(1), "isrc": "USAAA0000001"}]))
        asked = deezer.api_paths()

    assert asked == ["/track/isrc:USAAA0000001"] * 3
    assert list(found.index) == [track_id(1)]


@pytest.mark.parametrize(
    "answer",
    [
        StubResponse(json=QUOTA),
        StubResponse(json={"error": {"type": "OAuthException", "message": "An active access token must be used", "code": 300}}),
        StubResponse(json={"error": {"type": "Exception", "message": "Service unavailable", "code": 700}}),
        StubResponse(status=500, json={"error": "boom"}),
        StubResponse(body=b"<html>not json</html>"),
        StubResponse(json=["not", "an", "object"]),
    ],
    ids=["quota-every-time", "oauth-300", "unavailable-700", "http-500", "not-json", "not-an-object"],
)
def test_other_errors_give_deezer_error_for_that_track_only(answer):
    with FakeDeezer() as deezer:
        deezer.add("USAAA0000001", "Song", "Band", 180, click_track(100))
        deezer.add("USAAA0000002", "Song", "Band", 180, click_track(100))
        deezer.fail("/track/isrc:USAAA0000001", *[answer] * 3)
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA000000{n}"} for n in (1, 2)])
        found = deezer.provider(attempts=3, workers=1).features(tracks)

    assert list(found.index) == [track_id(2)]
    assert found.attrs[WHY_MISSING] == {track_id(1): DEEZER_FAILED}


def test_an_expired_preview_url_is_asked_for_again_once():
    with FakeDeezer() as deezer:
        deezer_id = deezer.add("USAAA0000001", "Song", "Band", 180, click_track(100))
        deezer.fail("/preview/", StubResponse(status=403, body=b"expired"))
        found = deezer.provider().features(track_table([{"id": track_id(1), "isrc": "USAAA0000001"}]))
        paths = [path for path in deezer.server.paths()]
        deezer.fail("/preview/", *[StubResponse(status=403, body=b"expired")] * 2)
        again = deezer.provider().features(track_table([{"id": track_id(1), "isrc": "USAAA0000001"}]))

    assert paths == ["/track/isrc:USAAA0000001", f"/preview/{deezer_id}.mp3", f"/track/{deezer_id}", f"/preview/{deezer_id}.mp3"]
    assert list(found.index) == [track_id(1)]
    assert again.attrs[WHY_MISSING] == {track_id(1): DEEZER_FAILED}


def test_a_slow_preview_times_out_without_holding_up_the_others():
    with FakeDeezer() as deezer:
        slow = deezer.add("USAAA0000001", "Slow", "Band", 180, click_track(100))
        deezer.add("USAAA0000002", "Quick", "Band", 180, click_track(100))
        deezer.slow[slow] = 10.0
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA000000{n}"} for n in (1, 2)])
        started = time.monotonic()
        found = deezer.provider(timeout_seconds=2.0).features(tracks)
        took = time.monotonic() - started

    assert list(found.index) == [track_id(2)]
    assert found.attrs[WHY_MISSING] == {track_id(1): TIMED_OUT}
    assert took < 6


def test_the_api_is_asked_at_most_n_times_in_any_window():
    with FakeDeezer() as deezer:
        for n in range(12):
            deezer.add(f"USAAA00000{n:02d}", f"Song {n}", "Band", 180, click_track(100))
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA00000{n:02d}"} for n in range(12)])
        deezer.provider(requests_per_window=4, window_seconds=0.5, workers=6).features(tracks)
        times = sorted(deezer.api_times)

    assert len(times) == 12
    most_in_a_window = max(sum(1 for t in times if start <= t < start + 0.5) for start in times)
    assert most_in_a_window <= 4
    assert times[-1] - times[0] >= 1.0  # 12 requests, 4 a window: three windows at least


def test_the_rate_limiter_lets_a_burst_through_then_waits_from_the_end_of_the_calls():
    limiter = RateLimiter(3, 0.3)
    started = time.monotonic()
    for _ in range(3):
        with limiter.call():
            time.sleep(0.05)
    burst = time.monotonic() - started
    with limiter.call():
        waited = time.monotonic() - started
    assert burst < 0.25 and waited >= 0.05 + 0.3


def test_names_are_compared_without_case_accents_brackets_or_punctuation():
    assert normalised("Beyoncé & Jay-Z") == normalised("BEYONCE and JAY Z")
    assert normalised("Halo (feat. X) [Live]") == "halo"
    assert normalised("Halo") != normalised("Halo 2")
