"""Clusters written back to Spotify through the real client, against the fake account's 2026 write endpoints."""

import json
import socket
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from playlist_assets import rate_limit
from playlist_assets.login import login
from playlist_assets.model import PlaylistInfo
from playlist_assets.publishing import DesiredCluster, plan_text
from playlist_assets.sources import web_api
from playlist_assets.sources.spotify_client import SCOPES, WRITE_SCOPE, SpotifyRateLimited, SpotifyRefused
from playlist_assets.writers import publish_state
from playlist_assets.writers.spotify import (
    READ_ONLY,
    WritingNotAllowed,
    dry_run,
    publish,
    publish_mode,
)
from playlist_assets_tests.postgres import ON_BOTH_STORAGES
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse

ME_PLAYLISTS = "/v1/me/playlists"
LONG_429 = StubResponse(status=429, headers={"Retry-After": "3600"})


class Killed(BaseException):
    """The process dies here (not an error any code handles)."""


@pytest.fixture
def account():
    with FakeSpotifyAccount(user_id="me") as fake:
        yield fake


@pytest.fixture
def mix(account):
    """The source playlist: 300 tracks."""
    playlist_id = account.add_playlist("Mix", [track(f"t{n}") for n in range(300)])
    return PlaylistInfo(id=playlist_id, name="Mix", snapshot_id=account.playlists[playlist_id]["snapshot_id"])


@pytest.fixture
def client(account, tmp_path):
    return account.source(tmp_path).client()


def clusters(*sizes: int, start: int = 0) -> dict[int, DesiredCluster]:
    """Clusters 1, 2, ... of consecutive tracks t<start>, t<start+1>, ... of the given sizes."""
    desired, first = {}, start
    for number, size in enumerate(sizes, start=1):
        desired[number] = DesiredCluster(f"Cluster {number}", tuple(f"spotify:track:t{n}" for n in range(first, first + size)))
        first += size
    return desired


def held(account, published) -> dict[int, list[str]]:
    """Cluster -> the track uris its Spotify playlist holds."""
    return {c: [f"spotify:track:{t}" for t in account.track_ids(pid)] for c, pid in published.playlist_ids.items()}


def assert_no_request_above_100_uris(account):
    for request in account.server.requests:
        if request.path.endswith("/items") and request.method != "GET":
            assert len(json.loads(request.body)["uris"]) <= 100


def test_a_dry_run_sends_no_request_and_says_what_it_would_write(account, instance, mix):
    todo = dry_run(instance, mix, clusters(3, 2))
    assert account.paths() == []
    assert plan_text(todo) == "Mix: 2 playlists to write, 0 unchanged\n  - create “Mix · Cluster 1” with 3 tracks\n" \
                              "  - create “Mix · Cluster 2” with 2 tracks"
    assert publish_state.load(instance, mix.id) == publish_state.PublishState()


def test_publishing_creates_one_private_playlist_per_cluster_holding_exactly_its_tracks(account, instance, mix, client):
    desired = clusters(250, 30)
    published = publish(instance, client, mix, desired)

    assert account.writes() == [
        ("POST", ME_PLAYLISTS), *[("PUT", f"/v1/playlists/{published.playlist_ids[1]}/items")],
        *[("POST", f"/v1/playlists/{published.playlist_ids[1]}/items")] * 2,
        ("POST", ME_PLAYLISTS), ("PUT", f"/v1/playlists/{published.playlist_ids[2]}/items"),
    ]
    assert held(account, published) == {c: list(d.uris) for c, d in desired.items()}
    made = account.owned_by_app()
    assert set(made) == set(published.playlist_ids.values()) == publish_state.created_playlist_ids(instance)
    first = made[published.playlist_ids[1]]
    assert (first["name"], first["public"]) == ("Mix · Cluster 1", False)
    assert first["description"].startswith(f"Cluster #1 of Mix, made by playlist_assets from snapshot {mix.snapshot_id}.")
    assert not any("/users/" in path for path in account.paths())  # 403 for a development-mode app
    assert_no_request_above_100_uris(account)
    assert published.writes == 6


@ON_BOTH_STORAGES
def test_a_rerun_sends_no_request_at_all(account, instance, mix, client):
    assert publish_state.load_many(instance, [mix.id]) == {}
    publish(instance, client, mix, clusters(120, 40))
    assert {key: state.snapshot_id for key, state in publish_state.load_many(instance, [mix.id, "other"]).items()} == {
        mix.id: mix.snapshot_id
    }
    before = len(account.paths())
    again = publish(instance, client, mix, clusters(120, 40))
    assert len(account.paths()) == before and again.writes == 0 and again.plan.unchanged == (1, 2)


def test_one_track_out_and_one_in_updates_the_playlist_in_place_with_two_writes(account, instance, mix, client):
    first = publish(instance, client, mix, clusters(60, 40))
    before = len(account.writes())
    edited = clusters(60, 40)
    edited[1] = DesiredCluster("Cluster 1", (*edited[1].uris[1:], "spotify:track:t299"))
    changed = PlaylistInfo(id=mix.id, name="Mix", snapshot_id="snap-edited")

    published = publish(instance, client, changed, edited)
    playlist = first.playlist_ids[1]
    assert account.writes()[before:] == [("PUT", f"/v1/playlists/{playlist}/items"), ("PUT", f"/v1/playlists/{playlist}")]
    assert published.playlist_ids == first.playlist_ids and len(account.owned_by_app()) == 2
    assert held(account, published) == {c: list(d.uris) for c, d in edited.items()}
    assert "from snapshot snap-edited" in account.playlists[playlist]["description"]


def test_a_vanished_cluster_is_unfollowed_and_stays_known_as_ours(account, instance, mix, client):
    first = publish(instance, client, mix, clusters(10, 10, 10))
    before = len(account.writes())
    published = publish(instance, client, mix, clusters(10, 20))  # cluster 3 is gone, its tracks went to 2

    gone = first.playlist_ids[3]
    assert account.writes()[before:] == [("PUT", f"/v1/playlists/{first.playlist_ids[2]}/items"),
                                         ("DELETE", f"/v1/playlists/{gone}/followers")]
    assert gone in account.unfollowed and gone not in published.playlist_ids.values()
    assert gone in publish_state.created_playlist_ids(instance)  # restored by the user: still never a page
    unclustered = PlaylistInfo(id=mix.id, name="Mix", snapshot_id="snap-flat")
    publish(instance, client, unclustered, {})  # no natural clusters any more
    assert account.owned_by_app() == {}
    assert publish_state.load(instance, mix.id).snapshot_id == "snap-flat"  # done: not asked again


def test_playlists_not_created_here_are_never_written_to(account, instance, mix, client, tmp_path):
    theirs = account.add_playlist("Theirs", [track("x1")], owner_id="someone", collaborative=True)
    mine = account.add_playlist("Mine", [track("x2")])
    published = publish(instance, client, mix, clusters(5, 5))
    state = publish_state.load(instance, mix.id)
    forged = {**state.clusters, 2: state.clusters[2].__class__(mine, "Mine", "", "tok", None)}
    publish_state.save(instance, mix.id, publish_state.PublishState(mix.snapshot_id, forged))
    before = len(account.writes())

    with pytest.raises(RuntimeError, match=f"{mine} was not created by playlist_assets: not writing to it"):
        publish(instance, client, mix, clusters(5, 6))
    assert account.writes()[before:] == []
    written_to = {path.split("/")[3] for _, path in account.writes() if path.startswith("/v1/playlists/")}
    assert written_to == set(published.playlist_ids.values()) and not {theirs, mine} & written_to
    listed = {p.id for p in account.source(tmp_path).list_playlists()}
    assert listed - publish_state.created_playlist_ids(instance) == {mix.id, theirs, mine}  # what the sensor keeps


def test_a_long_429_stops_the_writes_is_remembered_and_the_next_run_finishes_the_rest(account, instance, mix, client):
    second = f"pl{len(account.playlists) + 1:020d}"  # the id the stub gives the second playlist created
    account.fail(f"/v1/playlists/{second}/items", LONG_429, method="PUT")
    with pytest.raises(SpotifyRateLimited):
        publish(instance, client, mix, clusters(10, 10))
    assert [method for method, _ in account.writes()] == ["POST", "PUT", "POST", "PUT"]  # the last one refused
    assert rate_limit.waiting_until(instance) is not None
    with pytest.raises(SpotifyRateLimited):  # while it holds, no request at all
        publish(instance, client, mix, clusters(10, 10))
    assert len(account.writes()) == 4

    instance.run_storage.set_cursor_values({rate_limit.NOT_BEFORE_KEY: "2000-01-01T00:00:00+00:00"})
    published = publish(instance, client, mix, clusters(10, 10))
    assert account.writes()[4:] == [("PUT", f"/v1/playlists/{second}/items")]  # the rest, and nothing twice
    assert held(account, published) == {c: list(d.uris) for c, d in clusters(10, 10).items()}
    assert len(account.owned_by_app()) == 2


def test_5xx_are_retried_and_an_uncertain_write_is_not_blindly_repeated(account, instance, mix, client):
    account.fail(ME_PLAYLISTS, StubResponse(status=502), applied=True, method="POST")  # made, but said 502
    account.fail(ME_PLAYLISTS, StubResponse(status=500), method="POST")  # not made, said 500
    published = publish(instance, client, mix, clusters(150, 5))
    playlist = published.playlist_ids[1]
    account.fail(f"/v1/playlists/{playlist}/items", StubResponse(status=503), method="PUT")
    account.fail(f"/v1/playlists/{playlist}/items", StubResponse(status=500), applied=True, method="POST")
    edited = {**clusters(150, 5), 1: DesiredCluster("Cluster 1", clusters(140)[1].uris)}  # 10 tracks out of 1
    before = len(account.writes())
    published = publish(instance, client, mix, edited)

    assert len(account.owned_by_app()) == 2  # the playlist made despite the 502 was found, not made again
    assert account.writes()[before:] == [("PUT", f"/v1/playlists/{playlist}/items")] * 2 + [
        ("POST", f"/v1/playlists/{playlist}/items"),  # answered 500 but done: the whole list again
        ("PUT", f"/v1/playlists/{playlist}/items"), ("POST", f"/v1/playlists/{playlist}/items"),
    ]  # the same snapshot: the description stays
    assert held(account, published) == {c: list(d.uris) for c, d in edited.items()}  # no track twice


@ON_BOTH_STORAGES
@pytest.mark.parametrize("killed", ["after the creation", "before the creation was sent"])
def test_a_run_killed_around_a_creation_does_not_duplicate_it(account, instance, mix, client, monkeypatch, killed):
    def die(*args, **kwargs):
        raise Killed()

    if killed == "after the creation":  # Spotify made it, the run died before recording it
        monkeypatch.setattr(publish_state, "record_created", die)
    else:
        monkeypatch.setattr(client, "write", die)
    with pytest.raises(Killed):
        publish(instance, client, mix, clusters(10, 10))
    monkeypatch.undo()

    before = len(account.paths())
    published = publish(instance, client, mix, clusters(10, 10))
    assert account.paths()[before] == ME_PLAYLISTS  # the one listing read, only because a creation was pending
    assert len(account.owned_by_app()) == 2 and published.adopted == (killed == "after the creation")
    assert held(account, published) == {c: list(d.uris) for c, d in clusters(10, 10).items()}
    before = len(account.paths())
    publish(instance, client, mix, clusters(10, 10))
    assert len(account.paths()) == before


def test_a_read_only_login_writes_nothing_and_says_to_log_in_again(account, instance, mix, client):
    account.granted_scopes = set(SCOPES.split())
    with pytest.raises(WritingNotAllowed) as refused:
        publish(instance, client, mix, clusters(10, 10))
    assert str(refused.value) == READ_ONLY and "run ./run.sh login again to allow writing playlists" in READ_ONLY
    assert account.writes() == [("POST", ME_PLAYLISTS)] and account.owned_by_app() == {}
    assert publish_state.load(instance, mix.id).pending == {}


def test_the_stub_answers_as_spotify_does_what_the_writer_never_asks(account, client):
    """What the assertions above rule out does fail: the old create path and more than 100 uris a request."""
    with pytest.raises(SpotifyRefused, match="403"):
        client.write("POST", f"{account.api_root}/users/me/playlists", {"name": "x"}, repeatable=False)
    made = client.write("POST", f"{account.api_root}/me/playlists", {"name": "x", "public": False}, repeatable=False)
    too_many = {"uris": [f"spotify:track:t{n}" for n in range(101)]}
    with pytest.raises(RuntimeError, match="400 .*maximum of 100"):
        client.write("PUT", f"{account.api_root}/playlists/{made['id']}/items", too_many, repeatable=True)
    assert made["id"] in {p.id for p in web_api.list_playlists(client.get_json, account.api_root)}


@pytest.mark.parametrize("mode", ["off", "dry-run", "spotify"])
def test_the_login_asks_to_write_playlists_only_when_publishing_to_spotify(account, tmp_path, monkeypatch, mode):
    monkeypatch.setenv("PLAYLIST_ASSETS_PUBLISH", mode)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = account.source(tmp_path, redirect_uri=f"http://127.0.0.1:{port}/callback", user_id_cached=False)
    source.token_cache().unlink()
    asked = []

    def browser(url):  # the user says yes: Spotify redirects to the local server
        asked.extend(parse_qs(urlsplit(url).query)["scope"][0].split())
        state = parse_qs(urlsplit(url).query)["state"][0]
        threading.Thread(target=lambda: requests.get(f"{source.redirect_uri}?code=c&state={state}", timeout=5)).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    message = login(source, timeout_seconds=10)
    assert (WRITE_SCOPE in asked) == (mode == "spotify") and set(SCOPES.split()) <= set(asked)
    assert ("allowed to write private playlists" in message) == (mode == "spotify")


def test_publish_mode_is_off_dry_run_or_spotify(monkeypatch):
    assert publish_mode({}) == "off" and publish_mode({"PLAYLIST_ASSETS_PUBLISH": " dry-run "}) == "dry-run"
    with pytest.raises(ValueError, match="PLAYLIST_ASSETS_PUBLISH='yes': use one of off, dry-run, spotify"):
        publish_mode({"PLAYLIST_ASSETS_PUBLISH": "yes"})


def test_a_playlist_gone_from_spotify_is_made_again(account, instance, mix, client):
    first = publish(instance, client, mix, clusters(10, 10))
    del account.playlists[first.playlist_ids[1]]  # deleted for good: Spotify answers 404
    published = publish(instance, client, mix, clusters(11, 9))
    assert published.playlist_ids[2] == first.playlist_ids[2] and published.playlist_ids[1] != first.playlist_ids[1]
    assert held(account, published) == {c: list(d.uris) for c, d in clusters(11, 9).items()}
