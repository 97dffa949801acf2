"""Tests of analysis.cluster_tracks on synthetic playlists."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score

from playlist_assets.analysis import cluster_tracks, feature_word
from playlist_assets.analysis.kmeans import kmeans, nearest, silhouette

AUDIO = [
    "danceability", "energy", "valence", "acousticness", "instrumentalness", "speechiness",
    "liveness", "tempo", "loudness",
]
#: Typical audio features of a few genres (0..1, tempo in BPM, loudness in dB).
GENRES = {
    name: dict(zip(AUDIO, values))
    for name, values in {
        "dance pop": (0.8, 0.85, 0.7, 0.05, 0.02, 0.06, 0.12, 124, -5),
        "classical": (0.25, 0.1, 0.2, 0.95, 0.9, 0.04, 0.1, 80, -22),
        "rap": (0.75, 0.6, 0.45, 0.15, 0.01, 0.35, 0.15, 95, -7),
        "metal": (0.3, 0.95, 0.25, 0.01, 0.1, 0.08, 0.35, 160, -4),
        "folk": (0.45, 0.3, 0.4, 0.8, 0.02, 0.04, 0.12, 100, -12),
    }.items()
}


def track_ids(rng: np.random.Generator, n: int) -> pd.Index:
    """n distinct random 22-character ids, like Spotify's."""
    alphabet = np.array(list("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    ids = pd.Index(["".join(row) for row in alphabet[rng.integers(0, 62, (n, 22))]])
    assert ids.is_unique
    return ids


def genre_tracks(rng: np.random.Generator, n: int, genre: str, spread: float = 30) -> pd.DataFrame:
    """n tracks of one genre: 0..1 features from a beta around the genre's value (lower spread,
    wider), tempo and loudness normal around it."""
    centre = GENRES[genre]
    columns = {
        name: rng.beta(centre[name] * spread, (1 - centre[name]) * spread, n)
        for name in AUDIO
        if name not in ("tempo", "loudness")
    }
    columns["tempo"] = rng.normal(centre["tempo"], 300 / spread, n)
    columns["loudness"] = rng.normal(centre["loudness"], 45 / spread, n)
    return pd.DataFrame(columns)[AUDIO]


def playlist(seed: int, sizes: dict[str, int], spread: float = 30):
    """A shuffled playlist with ``sizes[genre]`` tracks per genre, and each track's genre."""
    rng = np.random.default_rng(seed)
    parts = [genre_tracks(rng, size, genre, spread) for genre, size in sizes.items()]
    features = pd.concat(parts, ignore_index=True)
    features.index = track_ids(rng, len(features))
    truth = pd.Series(np.repeat(list(sizes), list(sizes.values())), index=features.index)
    order = rng.permutation(len(features))
    return features.iloc[order], truth.iloc[order]


THREE = {"dance pop": 50, "classical": 30, "rap": 20}
FIVE = {"dance pop": 40, "classical": 30, "rap": 20, "metal": 15, "folk": 10}


def test_same_result_every_run_and_for_any_row_order():
    features, _ = playlist(0, THREE)
    first, again = cluster_tracks(features), cluster_tracks(features)
    pd.testing.assert_frame_equal(first.tracks, again.tracks, check_exact=True)
    assert (first.k, first.score, first.scores, first.note) == (
        again.k, again.score, again.scores, again.note
    )
    shuffled = features.sample(frac=1, random_state=1)
    other = cluster_tracks(shuffled)
    assert other.tracks.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(other.tracks.loc[features.index], first.tracks, check_exact=True)
    assert (other.k, other.score, other.axes, other.profiles) == (
        first.k, first.score, first.axes, first.profiles
    )
    pd.testing.assert_frame_equal(other.centres, first.centres, check_exact=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sizes", [THREE, FIVE], ids=["3 genres", "5 genres"])
def test_finds_the_genres_of_a_mixed_playlist(sizes, seed):
    features, truth = playlist(seed, sizes)
    result = cluster_tracks(features)
    assert result.k == len(sizes), result.note
    assert result.note.startswith(f"k={len(sizes)} chosen over k=2..6")
    assert result.score == result.scores[result.k]
    assert adjusted_rand_score(truth, result.tracks["cluster"]) > 0.95
    assert sorted(result.profiles) == list(range(1, result.k + 1))


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_two_wide_genres_are_never_mixed(seed):
    features, truth = playlist(seed, {"dance pop": 60, "metal": 40}, spread=12)
    result = cluster_tracks(features)
    assert result.k in (2, 3), result.note  # a wide genre may split in two, the genres never merge
    by_cluster = pd.crosstab(result.tracks["cluster"], truth)
    assert (by_cluster.max(axis=1) >= 0.95 * by_cluster.sum(axis=1)).all()


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_two_overlapping_genres_are_still_told_apart(seed):
    features, truth = playlist(seed, {"dance pop": 60, "rap": 40}, spread=10)
    result = cluster_tracks(features)
    assert result.k >= 2, result.note
    # each genre has its own cluster; a wide genre may be split, with a few tracks of the other genre in a
    # small part: 90 % of the tracks are in a cluster that is mostly their genre
    by_cluster = pd.crosstab(result.tracks["cluster"], truth)
    assert set(by_cluster.idxmax(axis=1)) == {"dance pop", "rap"}
    assert by_cluster.max(axis=1).sum() >= 0.9 * len(truth), by_cluster


def test_profiles_say_what_sets_a_cluster_apart():
    features, truth = playlist(0, THREE)
    result = cluster_tracks(features)
    classical = result.tracks["cluster"][truth == "classical"].mode()[0]
    assert "Instrumental" in result.profiles[classical] or "Acoustic" in result.profiles[classical]
    assert "not Acoustic" not in result.profiles[classical]
    # each word carries the cluster's mean and the playlist's, in the column's own units
    acoustic = re.search(r"Acoustic \(acousticness (\d\.\d\d) vs (\d\.\d\d)\)", result.profiles[classical])
    assert acoustic, result.profiles[classical]
    members = features["acousticness"][result.tracks["cluster"] == classical]
    assert acoustic.groups() == (f"{members.mean():.2f}", f"{features['acousticness'].mean():.2f}")
    loud = next(p for c, p in result.profiles.items() if "Loud" in p or "Quiet" in p)
    assert re.search(r"(Loud|Quiet) \(loudness -\d+\.\d vs -\d+\.\d dB\)", loud), loud


def test_values_of_skewed_features_below_a_hundredth_are_alike():
    """Instrumentalness 0.00001 or 0.009 is no difference to a listener: the clustering is the same."""
    features, _ = playlist(0, THREE)
    rng = np.random.default_rng(7)
    low = features["instrumentalness"] < 0.01
    reshuffled = features.assign(instrumentalness=features["instrumentalness"].mask(low, rng.uniform(0, 0.01, len(features))))
    assert low.sum() > 20 and not reshuffled.equals(features)
    first, second = cluster_tracks(features), cluster_tracks(reshuffled)
    assert first.k == second.k == 3
    pd.testing.assert_frame_equal(first.tracks, second.tracks, check_exact=True)


def test_differences_below_a_hundredth_alone_are_not_clustered():
    rng = np.random.default_rng(0)
    features = pd.DataFrame(
        {"instrumentalness": rng.uniform(0, 0.009, 30), "energy": 0.5}, index=track_ids(rng, 30)
    )
    result = cluster_tracks(features)
    assert result.k == 0 and result.note == "All tracks have identical features (values under 0.01 count as 0.01)"


@pytest.mark.parametrize("seed", [0, 1, 2, 4])
def test_a_long_tail_of_one_feature_is_not_a_cluster(seed):
    """Speechiness is near 0 for most music; one track in ten far out along it (spoken-word intros) does not
    make clusters (on plain standardised values, these seeds give 2 to 5)."""
    features, _ = playlist(seed, {"dance pop": 150}, spread=12)
    rng = np.random.default_rng(seed)
    tail = rng.random(len(features)) < 0.1
    speech = np.clip(rng.exponential(0.05, len(features)), 0, 1)
    features["speechiness"] = np.where(tail, speech, features["speechiness"])
    result = cluster_tracks(features)
    assert result.k == 1, result.note


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_genre_has_no_natural_clusters(seed):
    features, _ = playlist(seed, {"dance pop": 200}, spread=12)
    result = cluster_tracks(features)
    assert result.k == 1 and result.clustered, result.note
    assert result.score is None and result.scores
    assert result.note.startswith("No natural clusters")
    assert (result.tracks["cluster"] == 1).all()
    assert result.profiles == {1: "the whole playlist"}
    assert list(result.centres.index) == [1]
    assert result.separation == ""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_normal_distribution_has_no_natural_clusters(seed):
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(rng.multivariate_normal(np.zeros(6), np.eye(6) + 0.5, 300), index=track_ids(rng, 300))
    features.columns = AUDIO[:6]
    result = cluster_tracks(features)
    assert result.k == 1, result.note


@pytest.mark.parametrize("n", [20, 30, 40])
def test_a_small_normal_distribution_has_no_natural_clusters(n):
    """A few dozen points split by KMeans look more clustered than 500 do: the blob is the playlist's size."""
    for seed in range(8):
        rng = np.random.default_rng(seed)
        features = pd.DataFrame(rng.multivariate_normal(np.zeros(6), np.eye(6) + 0.5, n), index=track_ids(rng, n))
        features.columns = AUDIO[:6]
        result = cluster_tracks(features)
        assert result.k == 1, (seed, result.note)


@pytest.mark.parametrize("seed", [0, 1])
def test_an_even_spread_is_not_called_clusters(seed):
    rng = np.random.default_rng(seed)
    years = pd.DataFrame({"release_year": rng.uniform(1970, 2024, 120)}, index=track_ids(rng, 120))
    assert cluster_tracks(years).k == 1


@pytest.mark.parametrize("columns", [["tempo"], ["tempo", "energy"]])
def test_one_genre_in_one_or_two_features_has_no_natural_clusters(columns):
    """Halves of a 1-D or 2-D blob have clear silhouettes; only the blob reference says no."""
    features, _ = playlist(0, {"folk": 100})
    result = cluster_tracks(features[columns])
    assert result.k == 1, result.note


def test_clusters_are_numbered_by_size():
    features, _ = playlist(1, FIVE)
    result = cluster_tracks(features)
    sizes = result.tracks["cluster"].value_counts().sort_index()
    assert list(sizes.index) == list(range(1, result.k + 1))
    assert sizes.is_monotonic_decreasing
    assert list(result.centres.index) == list(sizes.index)


def test_clusters_of_equal_size_are_numbered_by_their_smallest_track_id():
    features, truth = playlist(0, {"dance pop": 20, "classical": 20})
    result = cluster_tracks(features)
    assert result.k == 2
    first_genre = truth[truth.index.min()]
    assert (result.tracks["cluster"][truth == first_genre] == 1).all()


@pytest.mark.parametrize("outliers", [1, 2])
@pytest.mark.parametrize("seed", [0, 1])
def test_far_outliers_never_make_a_cluster_of_their_own(outliers, seed):
    features, _ = playlist(seed, {"dance pop": 200}, spread=12)
    far = pd.DataFrame([GENRES["classical"]] * outliers, index=[f"far{i}" for i in range(outliers)])
    far[["tempo", "loudness"]] *= [3, 4]  # 240 BPM, -88 dB
    result = cluster_tracks(pd.concat([features, far]))
    assert result.tracks["cluster"].value_counts().min() >= 6, result.note


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_too_few_tracks_are_not_clustered(n):
    features, _ = playlist(0, {"rap": n})
    result = cluster_tracks(features)
    assert not result.clustered and result.k == 0
    tracks_word = "track" if n == 1 else "tracks"
    assert result.note == f"{n} {tracks_word}: too few to cluster (at least 8 needed)"
    assert result.score is None and result.scores == {} and result.axes is None
    assert result.profiles == {} and result.centres.empty
    tracks = result.tracks
    assert tracks.index.equals(features.index)
    assert (tracks["cluster"] == 0).all()
    assert tracks[["distance", "x", "y"]].isna().all().all()
    assert list(tracks["rank"].sort_index()) == list(range(1, n + 1))


def test_identical_tracks_are_not_clustered():
    features = pd.DataFrame([GENRES["folk"]] * 12, index=[f"t{i:02d}" for i in range(12)])
    result = cluster_tracks(features)
    assert not result.clustered
    assert result.note == "All tracks have identical features"
    assert list(result.tracks["rank"]) == list(range(1, 13))


def test_constant_columns_are_left_out():
    features, _ = playlist(0, THREE)
    result = cluster_tracks(features.assign(mode=1.0))
    assert result.feature_columns == tuple(AUDIO)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_or_infinite_values_name_the_track_and_column(bad):
    features, _ = playlist(0, THREE)
    track = features.index[5]
    features.loc[track, "tempo"] = bad
    with pytest.raises(ValueError, match=f"{track}.*tempo"):
        cluster_tracks(features)


def test_non_numeric_columns_are_named():
    features, _ = playlist(0, THREE)
    with pytest.raises(ValueError, match="genre"):
        cluster_tracks(features.assign(genre="rap"))


def test_ranks_order_each_cluster_by_distance_to_its_centre():
    features, _ = playlist(0, FIVE)
    tracks = cluster_tracks(features).tracks
    for _, members in tracks.groupby("cluster"):
        by_rank = members.sort_values("rank")
        assert list(by_rank["rank"]) == list(range(1, len(members) + 1))
        assert by_rank["distance"].is_monotonic_increasing
        assert by_rank["distance"].iloc[0] == members["distance"].min()


def test_axis_label_names_the_dominant_feature():
    rng = np.random.default_rng(0)
    energy = rng.uniform(0, 1, 150)
    features = pd.DataFrame(
        {
            "energy": energy,
            "acousticness": 1 - energy + rng.normal(0, 0.15, 150),
            "loudness": -20 + 15 * (energy + rng.normal(0, 0.15, 150)),
            **{name: rng.uniform(0, 1, 150) for name in ("tempo", "valence", "liveness")},
        },
        index=track_ids(rng, 150),
    )
    x_axis, y_axis = cluster_tracks(features).axes
    assert x_axis.label.startswith("Energetic · ")
    assert set(x_axis.label.split(" · ")) == {"Energetic", "not Acoustic", "Loud"}
    assert 1 >= x_axis.explained_variance >= y_axis.explained_variance > 0


def test_a_single_varying_column_gives_a_flat_second_axis():
    features, _ = playlist(0, THREE)
    result = cluster_tracks(features[["energy"]])
    assert result.axes[0].label.startswith("Energetic")
    assert result.axes[1].explained_variance == 0
    assert (result.tracks["y"] == 0).all()


def test_ten_thousand_tracks_with_metadata():
    features, truth = playlist(0, {genre: 2000 for genre in GENRES})
    rng = np.random.default_rng(0)
    features = features.assign(
        release_year=rng.integers(1960, 2025, len(features)),
        duration_ms=rng.integers(90_000, 400_000, len(features)),
        explicit=rng.integers(0, 2, len(features)),
    )
    result = cluster_tracks(features)
    assert result.k == 5, result.note
    assert result.tracks.notna().all().all()
    assert adjusted_rand_score(truth, result.tracks["cluster"]) > 0.95


def test_feature_words():
    assert feature_word("energy", True) == "Energetic"
    assert feature_word("acousticness", False) == "not Acoustic"
    assert feature_word("time_signature", True) == "high time signature"


@pytest.mark.parametrize("seed", range(6))
def test_written_out_kmeans_and_silhouette_are_scikit_learns(seed):
    """The k search runs scikit-learn's KMeans step for step (cheaper on small playlists): same clusters, same
    silhouettes, from the same random numbers."""
    rng = np.random.default_rng(seed)
    points = rng.standard_normal((int(rng.integers(40, 400)), int(rng.integers(1, 8))))
    points[: len(points) // 3] += 2.5  # one group apart, so that the starts matter
    centred = points - points.mean(axis=0)
    for k in (2, 3, 5):
        expected = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(points)
        centres = kmeans(centred, k, 10, seed)
        labels = nearest(centred, centres)
        assert adjusted_rand_score(expected.labels_, labels) == 1.0
        assert np.allclose(np.sort(centres + points.mean(axis=0), axis=0), np.sort(expected.cluster_centers_, axis=0))
        distances = pairwise_distances(points)
        assert silhouette(distances, labels) == pytest.approx(silhouette_score(points, labels), abs=1e-12)
    singleton = np.r_[np.zeros(len(points) - 1, dtype=int), 1]
    assert silhouette(pairwise_distances(points), singleton) == pytest.approx(
        silhouette_score(points, singleton), abs=1e-12
    )
