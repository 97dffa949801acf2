"""The publishing plan (pure): what to create, rewrite, rename and unfollow, from the clusters and what was written."""

import pandas as pd

from playlist_assets.model import PlaylistInfo
from playlist_assets.publishing import (
    DESCRIPTION_LENGTH,
    NAME_LENGTH,
    Create,
    DesiredCluster,
    PublishedCluster,
    PublishState,
    Retire,
    Update,
    chunks,
    description,
    desired_clusters,
    paste_text,
    plan,
    plan_metadata,
    plan_text,
    playlist_name,
    write_count,
)
from playlist_assets.writers.publish_state import from_json, to_json

MIX = PlaylistInfo(id="src", name="Mix", snapshot_id="snap-2")


def uris(*numbers: int) -> tuple[str, ...]:
    return tuple(f"spotify:track:t{n}" for n in numbers)


def written(cluster: int, name: str, tracks: tuple[str, ...] | None, snapshot: str = "snap-1") -> PublishedCluster:
    info = PlaylistInfo(id="src", name="Mix", snapshot_id=snapshot)
    return PublishedCluster(f"pl{cluster}", name, description(info, cluster, f"tok{cluster}"), f"tok{cluster}", tracks)


def test_desired_clusters_keep_the_given_order_and_need_two_clusters():
    cluster_of = pd.Series({"t3": 2, "t1": 1, "t9": 0, "t2": 2, "t5": 1})  # the playlist's order; t9 not clustered
    desired = desired_clusters(cluster_of, {1: "Calm", 2: "Fast"})
    assert desired == {1: DesiredCluster("Calm", uris(1, 5)), 2: DesiredCluster("Fast", uris(3, 2))}
    assert desired_clusters(pd.Series({"t1": 1, "t2": 1}), {1: "All"}) == {}  # one cluster: nothing to publish
    assert desired_clusters({"t1": 0}, {}) == {}  # "no natural clusters"


def test_a_first_publish_creates_one_playlist_per_cluster():
    desired = {1: DesiredCluster("Calm", uris(*range(250))), 2: DesiredCluster("Fast", uris(300))}
    todo = plan(MIX, desired, PublishState())
    assert todo.actions == (Create(1, "Mix · Calm", uris(*range(250))), Create(2, "Mix · Fast", uris(300)))
    assert write_count(todo) == (1 + 3) + (1 + 1)  # a creation, then 1 PUT and POSTs of at most 100
    assert plan_metadata(todo)["tracks to add"] == 251


def test_nothing_changed_nothing_to_write_even_for_a_new_snapshot():
    state = PublishState("snap-1", {1: written(1, "Mix · Calm", uris(1, 2)), 2: written(2, "Mix · Fast", uris(3))})
    desired = {1: DesiredCluster("Calm", uris(1, 2)), 2: DesiredCluster("Fast", uris(3))}
    todo = plan(MIX, desired, state)
    assert todo.actions == () and todo.unchanged == (1, 2)
    assert write_count(todo) == 0
    assert plan_text(todo) == "Mix: nothing to write"


def test_one_track_out_and_one_in_rewrites_that_cluster_only_with_its_new_snapshot():
    state = PublishState("snap-1", {1: written(1, "Mix · Calm", uris(1, 2, 3)), 2: written(2, "Mix · Fast", uris(4))})
    desired = {1: DesiredCluster("Calm", uris(1, 3, 7)), 2: DesiredCluster("Fast", uris(4))}
    (update,) = plan(MIX, desired, state).actions
    assert update == Update(1, "pl1", "Mix · Calm", description(MIX, 1, "tok1"), uris(1, 3, 7), True, uris(7), uris(2))
    assert "snapshot snap-2" in update.description
    text = plan_text(plan(MIX, desired, state), {"spotify:track:t7": "Seven", "spotify:track:t2": "Two"})
    assert text == "Mix: 1 playlist to write, 1 unchanged\n  - update “Mix · Calm”: add 1 track (Seven), remove 1 track (Two)"


def test_a_renamed_cluster_or_playlist_is_renamed_in_place_and_a_vanished_cluster_unfollowed():
    state = PublishState("snap-1", {1: written(1, "Mix · Calm", uris(1)), 2: written(2, "Mix · Fast", uris(2)),
                                    3: written(3, "Mix · Loud", uris(3))})
    renamed = PlaylistInfo(id="src", name="Mixtape", snapshot_id="snap-2")
    desired = {1: DesiredCluster("Quiet", uris(1)), 2: DesiredCluster("Fast", uris(2))}
    rename_1, rename_2, retire = plan(renamed, desired, state).actions
    assert (rename_1.name, rename_1.uris, rename_1.details) == ("Mixtape · Quiet", None, True)
    assert (rename_2.name, rename_2.uris) == ("Mixtape · Fast", None)
    assert retire == Retire(3, "pl3", "Mix · Loud")
    assert [type(a) for a in plan(MIX, {}, state).actions] == [Retire] * 3  # no natural clusters any more


def test_contents_not_known_are_rewritten():
    state = PublishState("snap-2", {1: written(1, "Mix · Calm", None), 2: written(2, "Mix · Fast", uris(2))})
    desired = {1: DesiredCluster("Calm", uris(1)), 2: DesiredCluster("Fast", uris(2))}
    (update,) = plan(MIX, desired, state).actions
    assert update.uris == uris(1) and update.added == update.removed == ()
    assert "rewrite “Mix · Calm” with 1 track" in plan_text(plan(MIX, desired, state))


def test_chunks_of_at_most_100_the_first_replacing_even_an_empty_list():
    assert [len(chunk) for chunk in chunks(uris(*range(250)))] == [100, 100, 50]
    assert chunks(()) == [()]
    assert sum(chunks(uris(*range(200))), ()) == uris(*range(200))


def test_names_and_descriptions_stay_within_spotify_limits_and_carry_the_token():
    long = PlaylistInfo(id="src", name="x" * 400, snapshot_id="s" * 80)
    name = playlist_name(long, "Acoustic & calm")
    assert len(name) == NAME_LENGTH and name.endswith("… · Acoustic & calm")
    text = description(long, 12, "abc123")
    assert len(text) <= DESCRIPTION_LENGTH and text.endswith(" [abc123]") and text.startswith("Cluster #12 of xxx")
    assert description(MIX, 2, "t") == (
        "Cluster #2 of Mix, made by playlist_assets from snapshot snap-2. Kept up to date: edits here are overwritten. [t]"
    )


def test_paste_text_is_one_track_uri_a_line():
    assert paste_text(uris(1, 2)) == "spotify:track:t1\nspotify:track:t2\n"
    assert paste_text(()) == ""


def test_the_state_survives_its_json():
    state = PublishState("snap-1", {1: written(1, "Mix · Calm", uris(1, 2)), 3: written(3, "Mix · Ünïcode", None)},
                         {4: "tok4"})
    assert from_json(to_json(state)) == state
