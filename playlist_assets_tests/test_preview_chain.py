"""Preview analysis in the feature chain: its cache, the rule that keeps Spotify's scale and the previews' apart,
and a Spotify playlist without audio features clustered by sound (stub Spotify, ReccoBeats and Deezer)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import normalized_mutual_info_score

from playlist_assets.analysis import choose_feature_columns, cluster_features, not_placed_reasons
from playlist_assets.analysis.placement import PREVIEW_SCALE, PREVIEW_SCALE_COLUMNS, SPOTIFY_SCALE, audio_coverage
from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.cache import JsonCache
from playlist_assets.definitions import library_resources
from playlist_assets.features import FeatureChain, SpotifyAudioFeatures
from playlist_assets.features.deezer import NO_PREVIEW, NOT_ON_DEEZER, TIMED_OUT
from playlist_assets.features.network import network_providers
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.model import ASKED_OF_PROVIDERS, AUDIO_SPACE, PROVIDER_MISSES
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS
from playlist_assets_tests.conftest import demo_resources
from playlist_assets_tests.deezer_stub import FakeDeezer, click_track
from playlist_assets_tests.reccobeats_stub import FakeReccoBeats
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.test_previews import track_id, track_table

#: Three clearly different sounds: (tempo, tone under the clicks in Hz).
STYLES = {"slow and dark": (70, 110.0), "mid": (100, 880.0), "fast and bright": (140, 3520.0)}


def styled_clip(style: str, n: int) -> bytes:
    bpm, hz = STYLES[style]
    return click_track(bpm + n % 3, seed=n, hz=hz * (1 + n % 4 / 50))


def spotify_features(n: int) -> dict[str, float]:
    return {column: round(0.1 + (n * 7 + i) % 9 / 10, 3) for i, column in enumerate(AUDIO_FEATURE_COLUMNS)}


def playlist(deezer: FakeDeezer, count: int, *, without_preview: tuple[int, ...] = ()) -> pd.DataFrame:
    """``count`` tracks with ISRCs, Deezer having a preview for each but ``without_preview``."""
    for n in range(count):
        clip = None if n in without_preview else styled_clip(list(STYLES)[n % 3], n)
        deezer.add(f"USAAA{n:07d}", f"Song {n}", "Band", 180, clip)
    return track_table([{"id": track_id(n), "isrc": f"USAAA{n:07d}"} for n in range(count)])


def test_descriptors_are_kept_for_good_misses_for_30_days_and_timeouts_not_at_all(tmp_path):
    with FakeDeezer() as deezer:
        tracks = playlist(deezer, 10, without_preview=(3,))
        deezer.add("", "Unknown", "Nobody", 180, None)
        slow = 1000 + 4
        deezer.slow[slow] = 10.0
        chain = FeatureChain(previews=deezer.provider(timeout_seconds=2.0), cache_dir=str(tmp_path))
        first = chain.features(tracks)
        asked_first = len(deezer.server.paths())
        deezer.slow[slow] = 0.0
        second = chain.features(tracks)
        asked_second = deezer.server.paths()[asked_first:]
        third = chain.features(tracks.iloc[:6])
        asked_third = deezer.server.paths()[asked_first + len(asked_second):]
        before_expiry = len(deezer.api_paths())
        expired = FeatureChain(previews=deezer.provider(), cache_dir=str(tmp_path), preview_absent_max_age_days=0)
        expired.features(tracks)
        asked_after_expiry = deezer.api_paths()[before_expiry:]

    assert first.attrs[PROVIDER_MISSES]["previews"] == {track_id(3): NO_PREVIEW, track_id(4): TIMED_OUT}
    assert [path.split("?")[0] for path in asked_second] == ["/track/isrc:USAAA0000004", "/preview/1004.mp3"]
    assert second.attrs[PROVIDER_MISSES]["previews"] == {track_id(3): NO_PREVIEW}  # from the cache, still said
    assert asked_third == []  # the same tracks in another playlist: nothing asked
    assert third.loc[track_id(2), "tempo_bpm"] == second.loc[track_id(2), "tempo_bpm"]
    assert asked_after_expiry == ["/track/isrc:USAAA0000003", "/search"]  # only the remembered miss, again
    assert second.attrs[ASKED_OF_PROVIDERS]["previews"] == (9, 10)


def test_descriptors_cached_before_a_column_was_added_are_measured_again(tmp_path):
    with FakeDeezer() as deezer:
        tracks = playlist(deezer, 3)
        stale = {column: 1.0 for column in PREVIEW_SCALE_COLUMNS[:-1]} | {"source": "preview analysis"}
        JsonCache(tmp_path / "previews.sqlite", 0).put_many({track_id(0): stale})
        found = FeatureChain(previews=deezer.provider(), cache_dir=str(tmp_path)).features(tracks)
        asked = deezer.api_paths()

    assert sorted(asked) == [f"/track/isrc:USAAA{n:07d}" for n in range(3)]
    assert found[list(PREVIEW_SCALE_COLUMNS)].notna().all().all()
    assert found.loc[track_id(0), "tempo_bpm"] != 1.0


def test_below_90_percent_of_spotify_scale_every_track_is_measured_on_previews_and_only_that_scale_kept(tmp_path):
    with FakeDeezer() as deezer, FakeReccoBeats({track_id(n): spotify_features(n) for n in range(6)}) as reccobeats:
        tracks = playlist(deezer, 10, without_preview=(9,))
        chain = FeatureChain(reccobeats=reccobeats.provider(), previews=deezer.provider(), cache_dir=str(tmp_path))
        found = chain.features(tracks)
        isrcs_asked = [path for path in deezer.api_paths() if path.startswith("/track/isrc:")]

    assert len(isrcs_asked) == 10  # the 6 ReccoBeats knew too
    assert found.attrs[AUDIO_SPACE] == PREVIEW_SCALE
    assert found.attrs[ASKED_OF_PROVIDERS] == {"reccobeats": (6, 10), "previews": (9, 10)}
    assert not set(AUDIO_FEATURE_COLUMNS) & set(found.columns)
    assert list(found["source"]) == ["preview analysis"] * 9 + ["metadata"]
    assert set(choose_feature_columns(found)) <= set(PREVIEW_SCALE_COLUMNS)
    assert not_placed_reasons(found, pd.Index([track_id(9)])).iloc[0] == f"no preview analysis: {NO_PREVIEW}"
    assert audio_coverage(found) == (
        f"audio: {PREVIEW_SCALE} (Spotify-scale features for 6 of 10 tracks, under 90%); "
        f"reccobeats 6 of 10, preview analysis 9 of 10 ({NO_PREVIEW} 1)"
    )


def test_from_90_percent_of_spotify_scale_deezer_is_not_asked(tmp_path):
    with FakeDeezer() as deezer, FakeReccoBeats({track_id(n): spotify_features(n) for n in range(19)}) as reccobeats:
        tracks = playlist(deezer, 20)
        found = FeatureChain(reccobeats=reccobeats.provider(), previews=deezer.provider()).features(tracks)
        asked = deezer.server.paths()

    assert asked == []
    assert found.attrs[AUDIO_SPACE] == SPOTIFY_SCALE and "previews" not in found.attrs[ASKED_OF_PROVIDERS]
    assert set(choose_feature_columns(found)) == set(AUDIO_FEATURE_COLUMNS)


def test_when_previews_find_fewer_tracks_than_spotify_scale_the_spotify_scale_is_kept(tmp_path):
    with FakeDeezer() as deezer, FakeReccoBeats({track_id(n): spotify_features(n) for n in range(6)}) as reccobeats:
        tracks = playlist(deezer, 10, without_preview=(0, 1, 2, 3, 4, 5, 6))
        found = FeatureChain(reccobeats=reccobeats.provider(), previews=deezer.provider()).features(tracks)

    assert found.attrs[AUDIO_SPACE] == SPOTIFY_SCALE
    assert found.attrs[ASKED_OF_PROVIDERS]["previews"] == (3, 10)
    assert not set(PREVIEW_SCALE_COLUMNS) & set(found.columns)
    assert list(found["source"]) == ["reccobeats"] * 6 + ["metadata"] * 4


@pytest.mark.parametrize("spotify_scale, expected", [(19, "spotify"), (12, "preview"), (3, "preview")])
def test_a_table_holding_both_scales_is_clustered_on_one_only(spotify_scale, expected):
    rng = np.random.default_rng(0)
    ids = [track_id(n) for n in range(20)]
    spotify = pd.DataFrame(rng.random((20, len(AUDIO_FEATURE_COLUMNS))), index=ids, columns=list(AUDIO_FEATURE_COLUMNS))
    preview = pd.DataFrame(rng.uniform(0.1, 1, (20, len(PREVIEW_SCALE_COLUMNS))), index=ids, columns=PREVIEW_SCALE_COLUMNS)
    spotify.iloc[spotify_scale:] = np.nan
    preview["loudness_lufs"] *= -1
    preview.iloc[:2] = np.nan  # 18 tracks with preview descriptors
    columns = set(choose_feature_columns(spotify.join(preview).assign(source="mixed")))
    assert columns == set(AUDIO_FEATURE_COLUMNS if expected == "spotify" else PREVIEW_SCALE_COLUMNS)


def test_a_spotify_playlist_without_audio_features_or_reccobeats_is_clustered_by_sound(tmp_path, instance):
    styles = [list(STYLES)[n % 3] for n in range(24)]
    with FakeSpotifyAccount() as account, FakeDeezer() as deezer:
        ids = [f"t{n:021d}" for n in range(26)]
        playlist_id = account.add_playlist("Three sounds", [track(i, f"Song {n}", artist="Band") for n, i in enumerate(ids)])
        for n, track_id_ in enumerate(ids[:24]):
            deezer.add(f"ISRC{track_id_}", f"Song {n}", "Band", 180, styled_clip(styles[n], n))
        source = account.source(tmp_path)
        chain = FeatureChain(spotify=SpotifyAudioFeatures(spotify=source), previews=deezer.provider())
        resources = {**demo_resources(tmp_path, source), "features": chain}
        instance.add_dynamic_partitions("playlists", [playlist_id])
        dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
        result = dg.materialize(
            ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=playlist_id, instance=instance, resources=resources
        )
        clustering = result.output_for_node("track_clusters")
        page = Path(result.output_for_node("clusters_page")).read_text(encoding="utf-8")

    assert set(clustering.feature_columns) <= set(PREVIEW_SCALE_COLUMNS)
    placed = clustering.tracks.loc[ids[:24], "cluster"]
    assert clustering.k == 3 and normalized_mutual_info_score(styles, placed) == 1.0
    assert clustering.tracks.reindex(ids[24:])["cluster"].isna().all()
    assert "preview analysis 24" in page
    assert f"no preview analysis: {NOT_ON_DEEZER}: 2" in page
    assert "BPM" in page or "Hz" in page or "LUFS" in page


def test_deezer_api_root_and_reccobeats_api_root_move_every_call_and_previews_can_be_switched_off(monkeypatch):
    with FakeDeezer() as deezer, FakeReccoBeats({track_id(0): spotify_features(0)}) as reccobeats:
        tracks = playlist(deezer, 3)
        monkeypatch.setenv("DEEZER_API_ROOT", deezer.server.url)
        monkeypatch.setenv("RECCOBEATS_API_ROOT", reccobeats.server.url + "/v1")
        with dg.build_resources({"features": FeatureChain(**network_providers())}) as resources:
            found = resources.features.features(tracks)
        assert reccobeats.asked() == [list(tracks.index)]
        assert len(deezer.downloads()) == 3 and found.attrs[AUDIO_SPACE] == PREVIEW_SCALE

    assert set(network_providers(previews=False)) == {"reccobeats"}
    assert set(network_providers(reccobeats=False)) == {"previews"}


def test_the_code_locations_resources_with_reccobeats_off_cluster_a_spotify_playlist_by_sound(tmp_path, monkeypatch):
    with FakeSpotifyAccount() as account, FakeDeezer() as deezer:
        ids = [f"t{n:021d}" for n in range(24)]
        playlist = account.add_playlist("Three sounds", [track(i, f"Song {n}", artist="Band") for n, i in enumerate(ids)])
        for n, spotify_id in enumerate(ids):
            deezer.add(f"ISRC{spotify_id}", f"Song {n}", "Band", 180, styled_clip(list(STYLES)[n % 3], n))
        token = tmp_path / "config" / "playlist_assets" / "spotify_token.json"
        account.source(tmp_path, token_cache_path=str(token), cache_dir=str(tmp_path / "cache" / "playlist_assets"))
        environment = {
            "SPOTIPY_CLIENT_ID": "fake-client-id", "SPOTIFY_API_ROOT": account.api_root, "DEEZER_API_ROOT": deezer.server.url,
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        with dg.build_resources(library_resources("spotify", "", reccobeats=False)) as built:
            found = built.features.features(built.source.fetch_playlist(playlist).tracks)

    clustering = cluster_features(found)
    assert set(clustering.feature_columns) <= set(PREVIEW_SCALE_COLUMNS) and clustering.k == 3


def test_preview_tracks_are_grouped_by_their_sound_not_their_tempo_and_chroma_flux_is_never_worded():
    rng = np.random.default_rng(0)
    n = 40
    drums = np.arange(n) < n // 2  # a percussive, busy, loud half and a smooth, sparse, quiet one
    frame = pd.DataFrame(
        {
            "tempo_bpm": rng.uniform(70, 160, n),
            "beat_strength": np.where(drums, 0.8, 0.3) + rng.normal(0, 0.05, n),
            "loudness_lufs": np.where(drums, -9.0, -20.0) + rng.normal(0, 1, n),
            "dynamics_lu": rng.uniform(2, 12, n),
            "brightness_hz": np.where(drums, 1800.0, 700.0) + rng.normal(0, 80, n),
            "percussiveness": np.where(drums, 2.5, 0.8) + rng.normal(0, 0.1, n),
            "onset_rate": np.where(drums, 5.0, 1.5) + rng.normal(0, 0.3, n),
            "intensity": rng.uniform(20, 150, n),
            "chroma_flux": np.where(drums, 0.3, 0.15) + rng.normal(0, 0.02, n),
            "source": "preview analysis",
        },
        index=[f"t{i:02d}" for i in range(n)],
    )
    clustering = cluster_features(frame)
    regrouped = cluster_features(frame.assign(tempo_bpm=rng.permutation(frame["tempo_bpm"].to_numpy())))

    assert clustering.k == 2
    assert pd.crosstab(drums, clustering.tracks["cluster"]).to_numpy().max(axis=1).tolist() == [n // 2, n // 2]
    assert regrouped.tracks["cluster"].equals(clustering.tracks["cluster"])
    assert {"tempo_bpm", "dynamics_lu", "intensity"}.isdisjoint(clustering.feature_columns)
    assert "chroma_flux" in clustering.feature_columns
    words = " ".join([*clustering.profiles.values(), *clustering.names.values(), *(a.label for a in clustering.axes)])
    assert "Loud (loudness" in words and "chroma" not in words.lower()
