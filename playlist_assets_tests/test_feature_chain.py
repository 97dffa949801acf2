"""The feature chain through real HTTP: ReccoBeats and Spotify on local stub servers, the cache on disk."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import requests

from playlist_assets.features import (
    ExportFeatures,
    FeatureChain,
    FeatureProvider,
    SpotifyAudioFeatures,
)
from playlist_assets.model import reccobeats_known
from playlist_assets.sources import web_api
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS
from playlist_assets_tests.reccobeats_stub import FakeReccoBeats
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount
from playlist_assets_tests.stub_http import StubResponse

METADATA = ["release_year", "duration_min", "explicit"]


def spotify_id(n: int) -> str:
    return f"{n:022d}"


def features_of(n: int) -> dict[str, float]:
    return {column: round(0.1 + (n * 7 + i) % 9 / 10, 3) for i, column in enumerate(AUDIO_FEATURE_COLUMNS)}


def track_table(ids, **columns) -> pd.DataFrame:
    """A track table as the sources give it, plus extra ``columns`` (lists aligned with ``ids``)."""
    rows = {
        track_id: {
            "name": f"Song {track_id}",
            "album": "Album",
            "album_art_url": "",
            "artists": ("Artist",),
            "artist_ids": (),
            "label": "",
            "release_date": f"{1990 + position}-05-01",
            "duration_ms": 180_000 + 1000 * position,
            "explicit": position % 2 == 1,
            "isrc": "",
            "added_at": "",
            "position": position,
            "url": f"https://open.spotify.com/track/{track_id}",
        }
        for position, track_id in enumerate(ids)
    }
    return web_api.track_frame(rows).assign(**columns)


def test_reccobeats_asks_in_batches_of_40_and_maps_rows_back_by_href():
    ids = [spotify_id(n) for n in range(95)]
    catalogue = {track_id: features_of(n) for n, track_id in enumerate(ids) if n % 10 != 3}
    catalogue[ids[4]] = {**catalogue[ids[4]], "tempo": None}  # known only in part: absent
    with FakeReccoBeats(catalogue) as reccobeats:
        found = reccobeats.provider().features(track_table(ids))
        asked = reccobeats.asked()

    assert [len(batch) for batch in asked] == [40, 40, 15]
    assert sum(asked, []) == ids
    expected = sorted(set(catalogue) - {ids[4]})
    assert sorted(found.index) == expected and ids[3] not in found.index
    assert found.loc[ids[57], list(AUDIO_FEATURE_COLUMNS)].to_dict() == features_of(57)
    assert set(found["source"]) == {"reccobeats"}


def test_reccobeats_waits_out_a_short_429_and_refuses_a_long_one():
    ids = [spotify_id(n) for n in range(3)]
    catalogue = {track_id: features_of(n) for n, track_id in enumerate(ids)}
    short = StubResponse(status=429, headers={"Retry-After": "0"}, json={"error": "slow down"})
    with FakeReccoBeats(catalogue, faults=[short, StubResponse(status=503, headers={"Retry-After": "0"})]) as reccobeats:
        assert len(reccobeats.provider().features(track_table(ids))) == 3
        assert len(reccobeats.asked()) == 3

    long = StubResponse(status=429, headers={"Retry-After": "3600"})
    with FakeReccoBeats(catalogue, faults=[long]) as reccobeats, pytest.raises(RuntimeError, match="wait 3600 s"):
        reccobeats.provider(max_wait_seconds=60).features(track_table(ids))

    with FakeReccoBeats(catalogue, faults=[StubResponse(status=500, headers={"Retry-After": "0"})] * 3) as reccobeats:
        with pytest.raises(RuntimeError, match=r"ReccoBeats http://127\.0\.0\.1.*audio-features.*HTTP 500 after 3"):
            reccobeats.provider(attempts=3).features(track_table(ids))


def test_each_track_takes_the_first_provider_that_has_it_and_metadata_places_the_rest(tmp_path):
    ids = [spotify_id(n) for n in range(6)]
    exported = pd.DataFrame([features_of(n) if n < 2 else {} for n in range(6)], index=ids)
    tracks = track_table(ids, **{column: exported[column].to_numpy() for column in AUDIO_FEATURE_COLUMNS})
    catalogue = {ids[0]: features_of(100), ids[2]: features_of(2), ids[3]: features_of(3)}
    with FakeReccoBeats(catalogue) as reccobeats:
        chain = FeatureChain(export=ExportFeatures(), reccobeats=reccobeats.provider(), order=["export", "reccobeats"])
        found = chain.features(tracks)
        asked = reccobeats.asked()

    assert asked == [ids[2:]]  # the exported tracks are not asked for
    assert list(found.index) == ids
    assert list(found["source"]) == ["export file"] * 2 + ["reccobeats"] * 2 + ["metadata"] * 2
    assert found.loc[ids[0], "energy"] == features_of(0)["energy"]  # export first: its numbers, not ReccoBeats's
    assert found.loc[ids[4:], list(AUDIO_FEATURE_COLUMNS)].isna().all().all()  # nothing imputed
    assert found[METADATA].notna().all().all()  # metadata for every track
    assert found.loc[ids[5], "release_year"] == 1995 and found.loc[ids[5], "explicit"] == 1.0
    assert found.loc[ids[1], "duration_min"] == pytest.approx(181_000 / 60_000)


def test_a_track_in_many_playlists_is_asked_for_once_until_its_cache_entry_expires(tmp_path):
    first = [spotify_id(n) for n in range(0, 30)]
    second = [spotify_id(n) for n in range(20, 50)]
    catalogue = {spotify_id(n): features_of(n) for n in range(50) if n % 5}
    with FakeReccoBeats(catalogue) as reccobeats:
        chain = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path))
        one = chain.features(track_table(first))
        two = chain.features(track_table(second))
        again = chain.features(track_table(second))
        asked = reccobeats.asked()
        expired = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path), max_age_days=0, absent_max_age_days=0)
        expired.features(track_table(second))
        asked_after_expiry = reccobeats.asked()[len(asked):]

    assert asked == [first, second[10:]]  # tracks 20..29, found or not, were asked for once
    assert list(two.index) == second and two.equals(again)
    assert two.loc[spotify_id(21), "source"] == "reccobeats" and two.loc[spotify_id(25), "source"] == "metadata"
    audio = list(AUDIO_FEATURE_COLUMNS)
    assert one.loc[spotify_id(21), audio].equals(two.loc[spotify_id(21), audio])  # the cached numbers, unchanged
    assert asked_after_expiry == [second]


def test_the_cache_lives_with_the_dagster_instance(tmp_path):
    ids = [spotify_id(n) for n in range(3)]

    @dg.asset
    def features_asset(features: FeatureProvider) -> pd.DataFrame:
        return features.features(track_table(ids))

    with FakeReccoBeats({ids[0]: features_of(0)}) as reccobeats, dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        chain = FeatureChain(reccobeats=reccobeats.provider())
        for _ in range(2):
            assert dg.materialize([features_asset], instance=instance, resources={"features": chain}).success
        asked = reccobeats.asked()
        cache = Path(instance.storage_directory()) / "feature_cache" / "reccobeats.sqlite"

    assert asked == [ids]  # the second run answered from the cache
    assert cache.is_file() and cache.is_relative_to(tmp_path)


@pytest.mark.parametrize("extended_quota", [True, False])
def test_spotify_audio_features_come_first_and_stand_aside_after_a_403(tmp_path, extended_quota):
    ids = [spotify_id(n) for n in range(4)]
    with FakeSpotifyAccount() as account, FakeReccoBeats({i: features_of(n) for n, i in enumerate(ids)}) as reccobeats:
        account.extended_quota = extended_quota
        account.audio_features = {
            i: {"id": i, **features_of(n + 50)} for n, i in enumerate(ids[:2])
        }
        spotify = SpotifyAudioFeatures(spotify=account.source(tmp_path))
        chain = FeatureChain(spotify=spotify, reccobeats=reccobeats.provider(), cache_dir=str(tmp_path / "features"))
        first = chain.features(track_table(ids[:3]))
        second = chain.features(track_table(ids))
        spotify_requests = account.paths("/v1/audio-features")

    if extended_quota:
        assert list(first["source"]) == ["spotify audio-features"] * 2 + ["reccobeats"]
        assert first.loc[ids[0], "energy"] == features_of(50)["energy"]
        assert len(spotify_requests) == 2  # the second playlist asks only for the new track
    else:
        assert list(second["source"]) == ["reccobeats"] * 4
        assert len(spotify_requests) == 1  # one 403, then it stands aside
    assert np.isfinite(second[list(AUDIO_FEATURE_COLUMNS)].to_numpy()).all()


def test_reccobeats_is_asked_with_an_agent_naming_the_project_as_its_cloudflare_front_refuses_python_s(tmp_path):
    ids = [spotify_id(n) for n in range(50)]
    with FakeReccoBeats({i: features_of(n) for n, i in enumerate(ids) if n % 4}) as reccobeats:
        refused = requests.get(f"{reccobeats.server.url}/v1/audio-features", params={"ids": ids[0]}, timeout=5)
        chain = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path))
        found = chain.features(track_table(ids))
        again = chain.features(track_table(ids[:10]))  # from the cache: the same share

    assert (refused.status_code, refused.text) == (403, "error code: 1010")
    assert [len(batch) for batch in reccobeats.asked()] == [1, 40, 10]  # the refused request, then the chain's
    assert reccobeats_known(found) == (37, 50) and reccobeats_known(again) == (7, 10)
    assert reccobeats.server.requests[-1].headers["user-agent"].startswith("playlist_assets/")
    export_only = FeatureChain(export=ExportFeatures()).features(track_table(ids[:3]))
    assert reccobeats_known(export_only) is None
