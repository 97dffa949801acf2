"""What changed since the previous refresh: the record (analysis.changes) and the page's "Since" section."""

from __future__ import annotations

import dataclasses

from playlist_assets.analysis import change_counts, cluster_changes, with_titles
from playlist_assets.render import render_clusters_page
from playlist_assets_tests.test_render import PLAYLIST, make_clustering, make_features, make_tracks

BEFORE = {1: ["t0", "t1", "t2", "t3"], 2: ["t4", "t5", "t6"], 3: ["t7", "t8"]}
# t3 moved 1 -> 2, t6 removed, cluster 3 gone (t7 removed, t8 to 1), t9 added to 1, new cluster 4 (t10, t11).
AFTER = {1: ["t0", "t8", "t1", "t9", "t2"], 2: ["t4", "t3", "t5"], 4: ["t10", "t11"]}


def clusterings():
    tracks = make_tracks(12)
    before = with_titles(dataclasses.replace(make_clustering(BEFORE), names={1: "Fast & loud", 2: "Calm", 3: "Wordy & live"}), tracks)
    after = dataclasses.replace(make_clustering(AFTER), names={1: "Fast & loud", 2: "Calm", 4: "Acoustic & slow"})
    return before, after, tracks


def page(changes, since="2026-11-30", tracks=None):
    _, after, all_tracks = clusterings()
    tracks = all_tracks.drop(["t6", "t7"]) if tracks is None else tracks
    return render_clusters_page(
        playlist=PLAYLIST,
        tracks=tracks,
        features=make_features(tracks.index),
        clustering=after,
        liked=frozenset(),
        image_link="img.png",
        skipped={},
        changes=changes and dataclasses.replace(changes, since=since),
    )


def test_the_record_lists_per_cluster_the_tracks_that_joined_and_left_and_the_clusters_that_came_and_went():
    before, after, _ = clusterings()
    changes = cluster_changes(before, after)
    assert changes.joined == {1: ("t8", "t9"), 2: ("t3",), 4: ("t10", "t11")}  # nearest the centre first
    assert changes.left == {1: ("t3",), 2: ("t6",), 3: ("t7", "t8")}
    assert changes.appeared == (4,) and changes.disappeared == {3: "Wordy & live"}
    assert (changes.added, changes.removed, changes.moved) == (3, 2, 2)
    assert changes.titles == {"t3": "Song 3", "t6": "Song 6", "t7": "Song 7", "t8": "Song 8"}
    assert change_counts(changes) == {
        "tracks added": 3, "tracks removed": 2, "tracks moved": 2, "clusters appeared": 1, "clusters disappeared": 1
    }
    assert not changes.empty and cluster_changes(after, after).empty


def test_the_since_section_comes_below_the_summary_and_names_a_few_tracks():
    before, after, _ = clusterings()
    text = page(cluster_changes(before, after))
    lines = text.splitlines()
    start = lines.index("## Since 2026-11-30")
    assert [line for line in lines[:start] if line.startswith("Scatter axes: ")]  # below the summary
    assert start < lines.index("## Cluster #1 · Fast & loud")
    assert lines[start + 2 : start + 6] == [
        "- Cluster #1 · Fast & loud: 2 joined (Song 8, Song 9); 1 left (Song 3)",
        "- Cluster #2 · Calm: 1 joined (Song 3); 1 left (Song 6)",  # Song 6 left the playlist: named as before
        "- Cluster #3 · Wordy & live: gone, it had 2 tracks (Song 7, Song 8)",
        "- Cluster #4 · Acoustic & slow: new, 2 tracks (Song 10, Song 11)",
    ]
    assert "## Cluster #4 · Acoustic & slow" in lines and "## Cluster #3 · Wordy & live" not in lines


def test_a_few_tracks_are_named_then_counted_and_unknown_names_only_counted():
    before, after, tracks = clusterings()
    moved = dataclasses.replace(make_clustering({1: ["t4", "t5", "t6", "t7", "t8"], 2: ["t0", "t1", "t2", "t3"]}), names=after.names)
    text = page(cluster_changes(dataclasses.replace(before, titles={}), moved), tracks=tracks.drop(["t9", "t10", "t11"]))
    assert (
        "- Cluster #1 · Fast & loud: 5 joined (Song 4, Song 5, Song 6 and 2 more); 4 left (Song 0, Song 1, Song 2 and 1 more)"
        in text
    )
    untitled = page(cluster_changes(dataclasses.replace(before, titles={}), after))  # t6 and t7 left unnamed
    assert "- Cluster #2 · Calm: 1 joined (Song 3); 1 left\n" in untitled
    assert "- Cluster #3 · Wordy & live: gone, it had 2 tracks (Song 8 and 1 more)\n" in untitled


def test_nothing_changed_says_so_and_no_record_means_no_section():
    before, after, _ = clusterings()
    assert "## Since 2026-11-30\n\nNo track changed cluster.\n" in page(cluster_changes(after, after))
    assert "## Since the previous refresh" in page(cluster_changes(before, after), since="")
    assert "Since" not in page(None)


def test_names_in_the_section_are_escaped():
    before, after, tracks = clusterings()
    tracks.loc["t9", "name"] = "a | b <script>"
    text = page(cluster_changes(before, after), since="<b>", tracks=tracks.drop(["t6", "t7"]))
    assert "## Since &lt;b&gt;" in text and "Song 8, a \\| b &lt;script&gt;" in text
