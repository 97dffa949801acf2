"""Clustering on features of mixed provenance: measured audio where most tracks have it, else metadata."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from playlist_assets.analysis import choose_feature_columns, cluster_features, cluster_tracks, not_placed_reasons
from playlist_assets.analysis.placement import NO_AUDIO, NO_FEATURES, NOTHING_VARIES
from playlist_assets.features import DemoFeatures
from playlist_assets.model import PlaylistInfo
from playlist_assets.render import render_clusters_page
from playlist_assets.sources import DemoSource
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

AUDIO = list(AUDIO_FEATURE_COLUMNS)


def mixed_features(n: int, measured: int, seed: int = 0) -> pd.DataFrame:
    """``n`` tracks in two audio groups; the first ``measured`` have audio features, all have metadata."""
    rng = np.random.default_rng(seed)
    groups = np.arange(n) % 2
    audio = rng.normal(0.25, 0.03, (n, len(AUDIO))) + 0.5 * groups[:, None]  # within every documented range
    audio[measured:] = np.nan
    frame = pd.DataFrame(audio, columns=AUDIO, index=pd.Index([f"t{i:03d}" for i in range(n)], name="track_id"))
    frame["release_year"] = 1980 + 40 * groups + rng.integers(0, 3, n)
    frame["duration_min"] = 3 + rng.random(n)
    frame["explicit"] = 0.0
    frame["source"] = ["reccobeats"] * measured + ["metadata"] * (n - measured)
    return frame


def test_audio_columns_when_most_tracks_have_them_and_metadata_only_tracks_are_not_placed_with_the_reason():
    features = mixed_features(30, measured=24)

    assert choose_feature_columns(features) == tuple(AUDIO)
    clustering = cluster_features(features)
    assert clustering.k == 2 and set(clustering.feature_columns) == set(AUDIO)
    assert sorted(clustering.tracks.index) == sorted(features.index[:24])
    reasons = not_placed_reasons(features, pd.Index([*features.index[24:], "gone"]))
    assert reasons.value_counts().to_dict() == {NO_AUDIO: 6, NO_FEATURES: 1}


def test_metadata_columns_when_fewer_than_min_tracks_have_audio_and_then_every_track_is_placed():
    features = mixed_features(30, measured=7)

    # explicit does not vary; durations spread over one minute (standard deviation 17 s) are too close to matter
    assert choose_feature_columns(features) == ("release_year",)
    clustering = cluster_features(features)
    assert clustering.clustered and len(clustering.tracks) == 30 and (clustering.tracks["cluster"] >= 1).all()
    assert not any(column in clustering.feature_columns for column in AUDIO)  # no audio imputed for the 18


def test_metadata_known_for_too_few_tracks_is_not_used_and_unknown_values_are_the_reason():
    features = mixed_features(30, measured=0)
    features.loc[features.index[:2], "release_year"] = np.nan  # 28 of 30 known: used
    features["duration_min"] = np.nan  # nothing known: not used

    assert choose_feature_columns(features) == ("release_year",)
    assert len(cluster_features(features).tracks) == 28
    assert set(not_placed_reasons(features, features.index[:2])) == {"unknown release year"}


def test_without_audio_or_varying_metadata_the_playlist_is_not_clustered_and_says_why():
    features = mixed_features(20, measured=0).assign(release_year=np.nan, duration_min=np.nan)

    clustering = cluster_features(features)
    assert not clustering.clustered and clustering.note == NOTHING_VARIES
    assert cluster_features(features.iloc[:3]).note.startswith("3 tracks: too few to cluster")


def test_the_demo_library_is_clustered_exactly_as_before():
    source = DemoSource()
    playlist = next(p for p in source.list_playlists() if p.name == "Four Corners")
    features = DemoFeatures().features(source.fetch_playlist(playlist.id).tracks)

    before = cluster_tracks(features.drop(columns="source").replace([np.inf, -np.inf], np.nan).dropna())
    after = cluster_features(features)
    assert (after.k, after.note, after.feature_columns, after.profiles) == (
        before.k,
        before.note,
        before.feature_columns,
        before.profiles,
    )
    assert after.tracks.equals(before.tracks)


def test_the_page_gives_each_not_placed_track_its_reason_and_counts_the_sources():
    features = mixed_features(30, measured=24)
    tracks = pd.DataFrame(
        {
            "name": [f"Song {i}" for i in range(31)],
            "album": "Album",
            "album_art_url": "",
            "artists": [("Artist",)] * 31,
            "label": "",
            "position": range(31),
            "url": "",
        },
        index=pd.Index([*features.index, "t999"], name="track_id"),
    )
    page = render_clusters_page(
        playlist=PlaylistInfo(id="p" * 22, name="Mixed", snapshot_id="s"),
        tracks=tracks,
        features=features,
        clustering=cluster_features(features),
        liked=frozenset(),
        image_link=None,
        skipped={},
    )

    assert "7 tracks not placed (no audio features from any provider: 6; no features from any provider: 1)" in page
    assert page.endswith("Coverage: 24 of 31 tracks placed · features: reccobeats 24, metadata 6\n")


def test_out_of_range_numbers_are_unknown_and_three_clear_groups_of_twenty_give_three_clusters():
    centres = [(0.1, 0.9, 0.2), (0.9, 0.1, 0.5), (0.5, 0.5, 0.9)]
    rows = {f"t{i:03d}": [c + 0.01 * (i % 5) for c in centres[i % 3]] for i in range(21)}
    features = pd.DataFrame.from_dict(rows, orient="index", columns=["energy", "acousticness", "valence"])
    features.loc["t000", "energy"] = 1e300  # would overflow the scaling
    features["source"] = "spotify audio-features"

    clustering = cluster_features(features)
    assert "t000" not in clustering.tracks.index and len(clustering.tracks) == 20
    # the random blob's 3-way split has a singleton; it is still the reference for k=3
    assert clustering.k == 3
    assert set(not_placed_reasons(features, pd.Index(["t000"]))) == {"energy out of its range (0–1)"}


def test_sixty_percent_with_audio_features_are_clustered_by_sound_and_the_rest_not_placed():
    features = mixed_features(50, measured=30)  # 60 %: below the old two thirds, above min_tracks

    clustering = cluster_features(features)
    assert set(clustering.feature_columns) == set(AUDIO)  # by sound, not by release year
    assert sorted(clustering.tracks.index) == sorted(features.index[:30])
    truth = pd.Series(np.arange(30) % 2, index=features.index[:30])
    assert clustering.k == 2 and adjusted_rand_score(truth, clustering.tracks["cluster"].loc[truth.index]) == 1
    assert set(not_placed_reasons(features, features.index[30:])) == {NO_AUDIO}


def test_an_audio_column_missing_for_many_tracks_is_left_out_instead_of_the_audio():
    features = mixed_features(40, measured=40)
    features.loc[features.index[::2], "liveness"] = np.nan  # half the tracks lack liveness

    clustering = cluster_features(features)
    assert set(clustering.feature_columns) == set(AUDIO) - {"liveness"}
    assert len(clustering.tracks) == 40 and clustering.k == 2


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("energy", 1.7, "energy out of its range (0–1)"),
        ("valence", -0.2, "valence out of its range (0–1)"),
        ("tempo", 0.0, "tempo out of its range (above 0, at most 300)"),
        ("tempo", 451.0, "tempo out of its range (above 0, at most 300)"),
        ("loudness", -75.0, "loudness out of its range (-60–5)"),
    ],
)
def test_out_of_range_values_are_not_placed_and_the_reason_names_the_column(column, value, reason):
    features = mixed_features(30, measured=30)
    features.loc[["t003", "t004"], column] = value

    clustering = cluster_features(features)
    assert clustering.clustered and column in clustering.feature_columns
    assert {"t003", "t004"}.isdisjoint(clustering.tracks.index) and len(clustering.tracks) == 28
    assert set(not_placed_reasons(features, pd.Index(["t003", "t004"]))) == {reason}
    page = page_of(features, clustering)
    assert f"2 tracks not placed ({reason}: 2)" in page
    assert "Coverage: 28 of 30 tracks placed" in page


def metadata_only(n: int, seed: int = 0, **columns) -> pd.DataFrame:
    """``n`` tracks with metadata only (release year 2019, 3 minutes, clean unless ``columns`` say otherwise)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"release_year": 2019.0, "duration_min": 3.0 + rng.uniform(0, 1 / 60, n), "explicit": 0.0},
        index=pd.Index([f"t{i:03d}" for i in range(n)], name="track_id"),
    )
    for column, values in columns.items():
        frame[column] = values
    return frame.assign(source="metadata")


def test_durations_within_a_second_are_not_split_and_the_page_lists_the_tracks():
    features = metadata_only(24)

    clustering = cluster_features(features)
    assert not clustering.clustered and clustering.note == NOTHING_VARIES
    page = page_of(features, clustering)
    assert "varies enough to group them (at least 2 years, 30 seconds" in page
    assert all(f"Song {i} " in page for i in range(24))


def test_metadata_clusters_are_described_with_their_values():
    years = [2014.0 + (i // 2) % 4 if i % 2 else 1975.0 + (i // 2) % 3 for i in range(40)]
    explicit = [float(i % 2) for i in range(40)]
    features = metadata_only(40, release_year=years, explicit=explicit)

    clustering = cluster_features(features)
    assert clustering.k == 2 and set(clustering.feature_columns) == {"release_year", "explicit"}
    described = sorted(sorted(profile.split(", ")) for profile in clustering.profiles.values())
    assert described == [["mostly clean", "released 1975–1977"], ["mostly explicit", "released 2014–2017"]]


def test_an_even_spread_of_release_years_is_not_called_clusters():
    features = metadata_only(60, release_year=np.linspace(1970, 2024, 60))

    clustering = cluster_features(features)
    assert clustering.feature_columns == ("release_year",) and clustering.k == 1, clustering.note


def page_of(features: pd.DataFrame, clustering) -> str:
    """The page of a playlist of the tracks of ``features``, named "Song 0", "Song 1"..."""
    return render_clusters_page(
        playlist=PlaylistInfo(id="p" * 22, name="Playlist", snapshot_id="s"),
        tracks=track_table(features.index),
        features=features,
        clustering=clustering,
        liked=frozenset(),
        image_link=None,
        skipped={},
    )


def track_table(track_ids: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [f"Song {i}" for i in range(len(track_ids))],
            "album": "Album",
            "album_art_url": "",
            "artists": [("Artist",)] * len(track_ids),
            "label": "",
            "position": range(len(track_ids)),
            "url": "",
        },
        index=pd.Index(track_ids, name="track_id"),
    )
