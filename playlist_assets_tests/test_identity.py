"""Clusters that keep their identity across refreshes: numbers, k, names (analysis.identity, analysis.naming)."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

from playlist_assets.analysis import cluster_features
from playlist_assets.analysis.naming import AVERAGE, WHOLE_PLAYLIST, cluster_names
from playlist_assets.model import Clustering
from playlist_assets.render import render_scatter
from playlist_assets_tests.test_clustering import genre_tracks, playlist, track_ids

NEW_FIELDS = ("names", "retired", "changes", "titles")


def more(seed: int, n: int, genre: str) -> pd.DataFrame:
    """``n`` new tracks of ``genre`` with fresh ids."""
    rng = np.random.default_rng(seed)
    tracks = genre_tracks(rng, n, genre)
    tracks.index = track_ids(rng, n)
    return tracks


def swapped(name: str) -> str:
    """"Acoustic & calm" -> "Calm & acoustic"."""
    first, second = name.split(" & ")
    return f"{second[:1].upper()}{second[1:]} & {first[:1].lower()}{first[1:]}"


def numbers_of(clustering: Clustering, track_ids: pd.Index) -> pd.Series:
    return clustering.tracks["cluster"].reindex(track_ids)


def stayed_keep_numbers(before: Clustering, after: Clustering) -> float:
    stayed = before.tracks.index.intersection(after.tracks.index)
    return float((numbers_of(before, stayed) == numbers_of(after, stayed)).mean())


def genre_numbers(clustering: Clustering, truth: pd.Series) -> dict[str, int]:
    """Genre -> the cluster most of its tracks are in."""
    clusters = clustering.tracks["cluster"]
    return {genre: int(clusters[truth.index[truth == genre]].mode()[0]) for genre in truth.unique()}


def test_a_small_edit_keeps_numbers_and_names_where_a_fresh_clustering_renumbers():
    features, truth = playlist(2, {"dance pop": 50, "classical": 30, "rap": 29})
    before = cluster_features(features)
    assert before.k == 3
    out = truth.index[truth == "classical"][:1]  # one classical track out, one rap track in: rap is now larger
    edited = pd.concat([features.drop(out), more(11, 1, "rap")])

    fresh, held = cluster_features(edited), cluster_features(edited, before)

    assert stayed_keep_numbers(before, fresh) < 0.9  # sizes decide a fresh clustering's numbers
    assert held.k == before.k
    assert stayed_keep_numbers(before, held) == 1.0
    assert held.names == before.names and len(set(held.names.values())) == 3
    reworded = {number: swapped(name) for number, name in before.names.items()}  # fits as well, not what is derived
    assert cluster_features(edited, dataclasses.replace(before, names=reworded)).names == reworded
    assert held.note.startswith("k=3 kept from the previous refresh")
    assert held.changes.added == 1 and held.changes.removed == 1 and held.changes.moved == 0
    assert held.changes.appeared == () and held.changes.disappeared == {} and held.retired == ()


def test_a_new_genre_gets_its_own_cluster_with_a_new_number_where_a_fresh_clustering_gives_it_one():
    features, truth = playlist(2, {"dance pop": 50, "classical": 30, "rap": 20})
    before = cluster_features(features)
    metal = more(12, 40, "metal")
    edited = pd.concat([features, metal])

    fresh, held = cluster_features(edited), cluster_features(edited, before)

    assert fresh.k == 4 and numbers_of(fresh, metal.index).nunique() == 1
    assert held.k == 4
    assert set(numbers_of(held, metal.index)) == {4}  # a number no cluster had
    assert (held.tracks["cluster"] == 4).sum() == 40  # and only the new genre's tracks
    assert stayed_keep_numbers(before, held) == 1.0
    assert held.changes.appeared == (4,) and len(held.changes.joined[4]) == 40
    assert held.names[4] not in before.names.values()


def test_same_inputs_and_same_previous_give_the_same_result_whatever_the_order_of_the_tracks():
    features, _ = playlist(3, {"dance pop": 40, "classical": 30, "rap": 30, "folk": 20})
    edited = pd.concat([features.iloc[5:], more(13, 5, "folk")])
    before = cluster_features(features)
    before_shuffled = cluster_features(features.sample(frac=1, random_state=1))
    results = [
        cluster_features(edited, before),
        cluster_features(edited, before),
        cluster_features(edited.sample(frac=1, random_state=2), before_shuffled),
        cluster_features(edited.iloc[::-1], before_shuffled),
    ]
    first = results[0]
    assert first.tracks.index.equals(edited.index)  # in the input's order
    for other in results[1:]:
        pd.testing.assert_frame_equal(other.tracks.sort_index(), first.tracks.sort_index())
        assert (other.k, other.scores, other.note, other.names, other.profiles) == (
            first.k, first.scores, first.note, first.names, first.profiles
        )
        assert (other.changes, other.retired) == (first.changes, first.retired)
    assert render_scatter(results[1], "Mix") == render_scatter(first, "Mix")


def test_the_scatter_is_not_mirrored_from_one_refresh_to_the_next():
    features, _ = playlist(11, {"dance pop": 40, "classical": 30, "rap": 30})
    before = cluster_features(features)
    mirrored = dataclasses.replace(before, tracks=before.tracks.assign(y=-before.tracks["y"]))
    edited = features.iloc[1:]
    fresh, held = cluster_features(edited), cluster_features(edited, mirrored)
    assert np.allclose(held.tracks["x"], fresh.tracks["x"]) and np.allclose(held.tracks["y"], -fresh.tracks["y"])
    assert held.axes[0] == fresh.axes[0] and held.axes[1] != fresh.axes[1]


def test_a_vanished_number_is_not_given_to_a_new_cluster_at_once():
    features, truth = playlist(4, {"dance pop": 50, "classical": 35, "rap": 25})
    first = cluster_features(features)
    gone = genre_numbers(first, truth)["classical"]
    assert first.k == 3 and gone == 2
    metal = more(14, 30, "metal")
    without_classical = pd.concat([features.drop(truth.index[truth == "classical"]), metal])

    second = cluster_features(without_classical, first)
    assert second.k == 3 and second.retired == (2,)
    assert set(numbers_of(second, metal.index)) == {4}
    assert second.changes.disappeared == {2: first.names[2]} and second.changes.appeared == (4,)

    folk = more(15, 30, "folk")
    at_once = cluster_features(pd.concat([without_classical, folk]), second)
    assert set(numbers_of(at_once, folk.index)) == {5}  # 2 vanished at the refresh before: still not reused

    third = cluster_features(without_classical.iloc[1:], second)  # a refresh later, nothing vanished
    assert third.retired == () and stayed_keep_numbers(second, third) == 1.0
    later = cluster_features(pd.concat([without_classical.iloc[1:], folk]), third)
    assert set(numbers_of(later, folk.index)) == {2}


def test_without_a_previous_result_clusters_are_numbered_largest_first_and_nothing_is_said_changed():
    features, _ = playlist(5, {"dance pop": 30, "classical": 60, "rap": 20})
    result = cluster_features(features)
    sizes = result.tracks["cluster"].value_counts()
    assert list(sizes.index) == [1, 2, 3] and sizes.is_monotonic_decreasing
    assert cluster_features(features, None).tracks.equals(result.tracks)
    assert result.changes is None and result.retired == () and sorted(result.names) == [1, 2, 3]


def test_a_refresh_that_changes_nothing_keeps_the_previous_note_date_and_changes():
    features, truth = playlist(6, {"dance pop": 40, "classical": 30, "rap": 20})
    before = dataclasses.replace(cluster_features(features), made_on="2026-11-23")
    again = cluster_features(features, before)
    pd.testing.assert_frame_equal(again.tracks, before.tracks)
    assert (again.names, again.note, again.made_on, again.changes) == (before.names, before.note, "2026-11-23", None)

    edited = pd.concat([features.drop(truth.index[truth == "rap"][:1]), more(16, 1, "classical")])
    changed = dataclasses.replace(cluster_features(edited, before), made_on="2026-11-30")
    assert changed.changes.since == "2026-11-23" and changed.changes.added == 1
    unchanged = cluster_features(edited.sample(frac=1, random_state=1), changed)
    assert (unchanged.note, unchanged.made_on, unchanged.changes, unchanged.retired) == (
        changed.note, "2026-11-30", changed.changes, changed.retired
    )

    one_track = cluster_features(features.iloc[:1])
    two_tracks = cluster_features(features.iloc[:2], one_track)  # not the same tracks: nothing is carried
    assert two_tracks.note.startswith("2 tracks") and two_tracks.changes.empty


def test_a_clustering_stored_before_names_existed_is_accepted_as_previous():
    features, truth = playlist(7, {"dance pop": 50, "classical": 30, "rap": 29})
    current = cluster_features(features)
    legacy = Clustering.__new__(Clustering)  # as pickled by the code before these fields
    legacy.__dict__.update({name: value for name, value in vars(current).items() if name not in NEW_FIELDS})
    stored = pickle.loads(pickle.dumps(legacy))
    assert (stored.names, stored.retired, stored.changes, stored.titles) == ({}, (), None, {})

    edited = pd.concat([features.drop(truth.index[truth == "classical"][:1]), more(17, 1, "rap")])
    held = cluster_features(edited, stored)
    assert stayed_keep_numbers(current, held) == 1.0 and held.names == current.names


def test_a_playlist_that_was_not_clustered_gets_its_clusters_numbered_from_1():
    features, _ = playlist(8, {"dance pop": 30, "classical": 30})
    few = cluster_features(features.iloc[:5])
    assert few.k == 0
    grown = cluster_features(features, few)
    assert grown.k == 2 and sorted(grown.tracks["cluster"].unique()) == [1, 2]
    assert grown.changes.appeared == (1, 2) and grown.changes.added == 60


def test_a_playlist_of_one_sound_gets_clusters_when_a_clearly_different_one_is_added():
    features, _ = playlist(10, {"dance pop": 60})
    before = cluster_features(features)
    assert before.k == 1 and before.names == {1: WHOLE_PLAYLIST}
    classical = more(20, 60, "classical")
    after = cluster_features(pd.concat([features, classical]), before)
    assert after.k == 2 and set(numbers_of(after, classical.index)) == {2}
    assert set(numbers_of(after, features.index)) == {1} and WHOLE_PLAYLIST not in after.names.values()
    assert cluster_features(features.iloc[1:], before).k == 1


def test_clusters_of_a_playlist_that_loses_its_clusters_are_retired():
    features, _ = playlist(9, {"dance pop": 30, "classical": 30})
    before = cluster_features(features)
    shrunk = cluster_features(features.iloc[:5], before)
    assert shrunk.k == 0 and shrunk.retired == (1, 2)
    assert sorted(shrunk.changes.disappeared) == [1, 2] and shrunk.changes.removed == 60


# --- names ---


def named(z_by_cluster: dict[int, dict[str, float]], previous: dict[int, str] | None = None) -> dict[int, str]:
    """``cluster_names`` of clusters whose standardised means are ``z_by_cluster`` (10 tracks each)."""
    columns = sorted({column for z in z_by_cluster.values() for column in z})
    clusters = np.repeat(list(z_by_cluster), 10)
    scaled = np.array([[z_by_cluster[c].get(column, 0.0) for column in columns] for c in clusters])
    return cluster_names(pd.DataFrame(scaled, columns=columns), scaled, clusters, previous)


def test_a_name_says_what_sets_the_cluster_apart():
    names = named({1: {"acousticness": 1.5, "energy": -1.2, "tempo": -0.4}, 2: {"tempo": 1.1, "energy": 0.9}, 3: {"energy": 0.1}})
    assert names == {1: "Acoustic & calm", 2: "Fast & energetic", 3: AVERAGE}


def test_names_are_unique_within_a_playlist():
    names = named({1: {"energy": 1.0, "loudness": 0.8, "tempo": 0.5}, 2: {"energy": 0.9, "loudness": 0.7, "valence": 0.4}})
    assert names == {1: "Energetic & loud", 2: "Energetic & cheerful"}


@pytest.mark.parametrize(
    "previous, kept",
    [
        ("Slow & acoustic", True),  # still fits, though no longer the best words
        ("Acoustic & slow", True),
        ("Acoustic", True),
        ("Fast & loud", False),  # no longer true
        ("Calm & quiet", False),  # quiet is only 0.1 off
    ],
)
def test_a_name_is_kept_while_it_still_fits(previous, kept):
    names = named({1: {"acousticness": 1.5, "energy": -1.2, "tempo": -0.25, "loudness": -0.1}, 2: {"energy": 1.0}}, {1: previous})
    assert names[1] == (previous if kept else "Acoustic & calm")


def test_the_one_cluster_of_a_playlist_without_natural_clusters_is_the_whole_playlist():
    assert named({1: {"energy": 0.0}}) == {1: WHOLE_PLAYLIST}


def test_clusters_by_release_year_are_named_by_their_years():
    years = pd.DataFrame({"release_year": [2014.0, 2015, 2016, 2017] * 5 + [1990.0, 1991, 1992, 1993] * 5})
    clusters = np.repeat([1, 2], 20)
    scaled = ((years - years.mean()) / years.std(ddof=0)).to_numpy()
    assert cluster_names(years, scaled, clusters) == {1: "2014–2017", 2: "1990–1993"}
