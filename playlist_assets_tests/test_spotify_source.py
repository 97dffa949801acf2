"""The live source against a fake account on 127.0.0.1: paging, ownership, retries, labels, tokens, login."""

import dataclasses
import json
import logging
import math
import socket
import stat
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest
import requests
import spotipy

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.features import SpotifyAudioFeatures
from playlist_assets.features.spotify import SPOTIFY_FEATURE_SOURCE
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.login import login
from playlist_assets.sources import web_api
from playlist_assets.sources.spotify import UNREADABLE, SpotifySource
from playlist_assets.sources.spotify_client import (
    SpotifyLoginRequired,
    SpotifyRateLimited,
    SpotifyRefused,
    SpotifyUnavailable,
)
from playlist_assets_tests.conftest import add_partitions
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, episode_item, local_item, track
from playlist_assets_tests.stub_http import StubResponse


@pytest.fixture
def account():
    with FakeSpotifyAccount(user_id="me") as fake:
        yield fake


def items_path(playlist_id: str) -> str:
    return f"/v1/playlists/{playlist_id}/items"


def secrets_of(account: FakeSpotifyAccount) -> list[str]:
    return [account.client_secret, account.access_token, account.refresh_token]


# Paging and ownership


def test_a_playlist_of_260_tracks_is_read_in_6_pages_of_50(account, tmp_path):
    playlist = account.add_playlist("Long", [track(f"t{n:03d}") for n in range(260)])
    source = account.source(tmp_path, look_up_labels=False)

    result = source.fetch_playlist(playlist)

    assert list(result.tracks.index) == [f"t{n:03d}" for n in range(260)]
    assert list(result.tracks["position"]) == list(range(260))
    assert result.playlist.total_items == 260 and result.skipped == {}
    assert account.paths() == [f"/v1/playlists/{playlist}"] + [items_path(playlist)] * 6
    assert {r.query["limit"] for r in account.server.requests[1:]} == {"50"}


def test_listing_keeps_owned_and_collaborative_playlists_in_ceil_p_over_50_requests(account, tmp_path, caplog):
    for n in range(120):
        owner = "someone" if n % 3 == 0 else "me"
        account.add_playlist(f"List {n}", [], owner_id=owner, collaborative=n % 6 == 0)
    source = account.source(tmp_path)

    with caplog.at_level(logging.INFO):
        listed = source.list_playlists()

    assert [p.name for p in listed] == [f"List {n}" for n in range(120) if n % 3 or n % 6 == 0]
    assert account.paths() == ["/v1/me/playlists"] * math.ceil(120 / 50)
    assert "20 playlists you neither own nor collaborate on" in caplog.text
    assert "List 3, List 9" in caplog.text and "List 6," not in caplog.text


def test_the_user_id_is_asked_once_and_kept_beside_the_token(account, tmp_path):
    account.add_playlist("Mine", [])
    account.add_playlist("Theirs", [], owner_id="someone")

    first = account.source(tmp_path, user_id_cached=False)
    assert [p.name for p in first.list_playlists()] == ["Mine"]
    assert account.paths() == ["/v1/me", "/v1/me/playlists"]
    assert json.loads(first.user_file().read_text())["id"] == "me"
    assert stat.S_IMODE(first.user_file().stat().st_mode) == 0o600

    second = SpotifySource(**first.model_dump())  # a new run: the id comes from the file
    second.list_playlists()
    assert account.paths() == ["/v1/me", "/v1/me/playlists", "/v1/me/playlists"]


def test_liked_songs_are_read_in_pages_of_50(account, tmp_path):
    account.liked = [track(f"liked{n}") for n in range(120)] + [{**track("x"), "id": None, "is_local": True}]

    assert account.source(tmp_path).liked_track_ids() == {f"liked{n}" for n in range(120)}
    assert account.paths() == ["/v1/me/tracks"] * 3


def test_empty_items_local_files_and_episodes_are_counted_as_skipped(account, tmp_path):
    playlist = account.add_playlist("Mixed", [track("t1"), None, local_item(), episode_item(), track("t1"), None])

    result = account.source(tmp_path, look_up_labels=False).fetch_playlist(playlist)

    assert list(result.tracks.index) == ["t1"]
    assert result.skipped == {"local file": 1, "episode": 1, "empty item": 2, "duplicate": 1}
    assert result.unreadable == ""


def test_items_answering_403_make_an_unreadable_playlist_not_an_error(account, tmp_path):
    playlist = account.add_playlist("Followed", [track("t1")], owner_id="someone")

    result = account.source(tmp_path).fetch_playlist(playlist)

    assert result.unreadable == UNREADABLE
    assert result.playlist.name == "Followed" and result.playlist.total_items == 1
    assert result.tracks.empty and list(result.tracks.columns) == list(web_api.track_frame({}).columns)


def test_an_unreadable_playlist_gets_a_page_saying_so(account, tmp_path, instance, resources):
    playlist = account.add_playlist("Followed", [track("t1")], owner_id="someone")
    resources = {**resources, "source": account.source(tmp_path)}
    [key] = add_partitions(instance, {playlist: "Followed"})
    dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)

    result = dg.materialize(
        ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources
    )

    page = Path(result.output_for_node("clusters_page")).read_text(encoding="utf-8")
    assert page == f"# Clusters in Followed\n\nNot readable — {UNREADABLE}\n"


def test_fetch_playlist_items_gives_each_tracks_album_id(account, tmp_path):
    playlist = account.add_playlist("Albums", [track("t1", album_id="alA"), track("t2", album_id="alB"), None])
    source = account.source(tmp_path)
    info = web_api.fetch_playlist_info(source.get_json, playlist, source.api_root)

    tracks, album_ids = web_api.fetch_playlist_items(source.get_json, info, source.api_root)

    assert album_ids == {"t1": "alA", "t2": "alB"}
    assert list(tracks.tracks.index) == ["t1", "t2"]


# Retries and errors


def test_429_with_a_short_retry_after_is_waited_out_once(account, tmp_path):
    playlist = account.add_playlist("P", [track("t1")])
    account.fail(items_path(playlist), StubResponse(status=429, headers={"Retry-After": "1"}))
    source = account.source(tmp_path, look_up_labels=False)

    started = time.monotonic()
    result = source.fetch_playlist(playlist)

    assert time.monotonic() - started >= 1.0
    assert list(result.tracks.index) == ["t1"]
    assert account.paths(items_path(playlist)) == [items_path(playlist)] * 2


def test_429_with_a_retry_after_beyond_the_cap_fails_at_once_saying_until_when(account, tmp_path):
    account.fail("/v1/me/playlists", StubResponse(status=429, headers={"Retry-After": "7200"}))
    source = account.source(tmp_path, max_retry_after_seconds=60)

    started = time.monotonic()
    with pytest.raises(SpotifyRateLimited) as raised:
        source.list_playlists()

    assert time.monotonic() - started < 5
    assert "7200 s" in str(raised.value) and " UTC" in str(raised.value) and "/v1/me/playlists" in str(raised.value)
    assert account.paths() == ["/v1/me/playlists"]


def test_two_500s_then_success_take_3_requests(account, tmp_path):
    account.add_playlist("P", [])
    account.fail("/v1/me/playlists", StubResponse(status=500), StubResponse(status=502))

    assert [p.name for p in account.source(tmp_path).list_playlists()] == ["P"]
    assert account.paths() == ["/v1/me/playlists"] * 3


def test_5xx_on_every_attempt_fails_naming_the_url(account, tmp_path):
    account.fail("/v1/me/tracks", *[StubResponse(status=503)] * 4)

    with pytest.raises(SpotifyUnavailable, match=r"4 times for http://127\.0\.0\.1:\d+/v1/me/tracks\?limit=50.*503"):
        account.source(tmp_path, max_attempts=4).liked_track_ids()
    assert account.paths() == ["/v1/me/tracks"] * 4


def test_a_timeout_is_retried(account, tmp_path):
    account.liked = [track("t1")]
    account.fail("/v1/me/tracks", StubResponse(status=200, json={"items": [], "next": None}, delay=1.0))

    assert account.source(tmp_path, requests_timeout=0.2).liked_track_ids() == {"t1"}
    assert account.paths() == ["/v1/me/tracks"] * 2


def test_a_connection_error_is_retried_then_reported_with_the_url(tmp_path):
    with FakeSpotifyAccount() as gone:
        source = gone.source(tmp_path, max_attempts=2)
    with pytest.raises(SpotifyUnavailable, match=r"2 times for .*/v1/me/tracks.*ConnectionError"):
        source.liked_track_ids()


def test_malformed_json_is_a_value_error_naming_the_url(account, tmp_path):
    account.fail("/v1/me/playlists", StubResponse(body=b'{"items": [tru'))

    with pytest.raises(ValueError, match=r"http://127\.0\.0\.1:\d+/v1/me/playlists\?limit=50: .*not a JSON object"):
        account.source(tmp_path).list_playlists()
    assert account.paths() == ["/v1/me/playlists"]


def test_403_and_404_are_refusals_with_status_and_url(account, tmp_path):
    source = account.source(tmp_path)
    with pytest.raises(SpotifyRefused) as raised:
        source.fetch_playlist("pl00000000000000000404")
    assert raised.value.status == 404
    assert raised.value.url == f"{account.api_root}/playlists/pl00000000000000000404?fields={web_api.PLAYLIST_INFO_FIELDS}"


# Record labels


def test_labels_are_looked_up_once_per_album_across_playlists(account, tmp_path):
    first = account.add_playlist("One", [track("t1", album_id="alA"), track("t2", album_id="alB")])
    second = account.add_playlist("Two", [track("t3", album_id="alA"), track("t4", album_id="alC")])
    account.add_album("alA", label="Label A")
    account.add_album("alB", label="")  # an album whose label is empty
    account.add_album("alC", label="Label C")

    one = account.source(tmp_path).fetch_playlist(first)
    two = account.source(tmp_path).fetch_playlist(second)  # another run: the cache is on disk
    account.source(tmp_path).fetch_playlist(first)

    assert one.tracks["label"].to_dict() == {"t1": "Label A", "t2": ""}
    assert two.tracks["label"].to_dict() == {"t3": "Label A", "t4": "Label C"}
    assert sorted(account.paths("/v1/albums")) == ["/v1/albums/alA", "/v1/albums/alB", "/v1/albums/alC"]
    assert one.tracks["label"].dtype == web_api.track_frame({})["label"].dtype


@pytest.mark.parametrize("refusal", ["403", "album objects without a label field (development mode)"])
def test_an_app_that_gets_no_labels_asks_for_one_album_only(account, tmp_path, refusal):
    first = account.add_playlist("One", [track("t1", album_id="alA"), track("t2", album_id="alB")])
    second = account.add_playlist("Two", [track("t3", album_id="alC")])
    if refusal == "403":
        account.refuse("/v1/albums")
    else:
        for album_id in ("alA", "alB", "alC"):
            account.add_album(album_id)

    one = account.source(tmp_path).fetch_playlist(first)
    two = account.source(tmp_path).fetch_playlist(second)  # another run: what was learnt is on disk

    assert account.paths("/v1/albums") == ["/v1/albums/alA"]
    assert set(one.tracks["label"]) == set(two.tracks["label"]) == {""}


def test_labels_are_not_looked_up_when_switched_off(account, tmp_path):
    playlist = account.add_playlist("One", [track("t1", album_id="alA")])
    account.add_album("alA", label="Label A")

    assert account.source(tmp_path, look_up_labels=False).fetch_playlist(playlist).tracks["label"].tolist() == [""]
    assert account.paths("/v1/albums") == []


# Audio features (extended quota only)


def test_audio_features_come_in_batches_of_100_through_the_same_client(account, tmp_path):
    account.extended_quota = True
    ids = [f"t{n}" for n in range(250)]
    values = {"danceability": 0.5, "energy": 0.6, "valence": 0.7, "acousticness": 0.1, "instrumentalness": 0.0,
              "speechiness": 0.05, "liveness": 0.2, "tempo": 120.0, "loudness": -6.0}
    account.audio_features = {i: {"id": i, **values} for i in ids[:-1]}  # the last one unknown
    provider = SpotifyAudioFeatures(spotify=account.source(tmp_path))

    found = provider.features(web_api.track_frame({}).reindex(ids))

    assert list(found.index) == ids[:-1]
    assert set(found["source"]) == {SPOTIFY_FEATURE_SOURCE}
    assert [len(r.query["ids"].split(",")) for r in account.server.requests] == [100, 100, 50]


def test_audio_features_stand_aside_after_a_403(account, tmp_path):
    provider = SpotifyAudioFeatures(spotify=account.source(tmp_path))
    tracks = web_api.track_frame({}).reindex(["t1", "t2"])

    first = provider.features(tracks)
    second = SpotifyAudioFeatures(spotify=account.source(tmp_path)).features(tracks)

    assert first.empty and second.empty
    assert list(first.columns) == [*web_api.AUDIO_FEATURE_COLUMNS, "source"]
    assert account.paths() == ["/v1/audio-features"]


# Tokens and login


def test_an_expired_token_is_refreshed_and_cached_with_mode_0600(account, tmp_path, caplog):
    source = account.source(tmp_path)
    token_file = source.token_cache()
    expired = {**json.loads(token_file.read_text()), "expires_at": int(time.time()) - 10}
    token_file.write_text(json.dumps(expired))
    token_file.chmod(0o644)
    old_token = account.access_token

    with caplog.at_level(logging.DEBUG):
        source.liked_track_ids()

    assert account.paths() == ["/api/token", "/v1/me/tracks"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["access_token"] == account.access_token != old_token
    assert not [secret for secret in [*secrets_of(account), old_token] if secret in caplog.text]


def test_a_refused_refresh_asks_for_login(account, tmp_path):
    source = account.source(tmp_path)
    token_file = source.token_cache()
    stale = {**json.loads(token_file.read_text()), "expires_at": 0, "refresh_token": "revoked"}
    token_file.write_text(json.dumps(stale))

    with pytest.raises(SpotifyLoginRequired, match=r"would not refresh .*invalid_grant.*run `\./run\.sh login`"):
        source.liked_track_ids()
    assert account.paths() == ["/api/token"]


def test_the_token_directory_is_created_private(tmp_path):
    source = SpotifySource(client_id="id", token_cache_path=str(tmp_path / "fresh" / "token.json"))
    source.auth_manager().cache_handler.save_token_to_cache({"access_token": "x"})

    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "fresh" / "token.json").stat().st_mode) == 0o600


def test_secrets_appear_in_no_error_and_no_log_line(account, tmp_path, caplog):
    source = account.source(tmp_path, max_attempts=2)
    account.fail("/v1/me/playlists", StubResponse(status=429, headers={"Retry-After": "9999"}))
    account.fail("/v1/me/tracks", StubResponse(status=500), StubResponse(status=500))
    account.refuse("/v1/albums")
    messages = []

    with caplog.at_level(logging.DEBUG):
        for call in (
            source.list_playlists,
            source.liked_track_ids,
            lambda: source.get_json(f"{account.api_root}/albums/x"),
            lambda: source.fetch_playlist("missing"),
        ):
            with pytest.raises(Exception) as raised:
                call()
            messages.append(repr(raised.value) + str(raised.value))
        account.access_token = "rotated"  # the cached token no longer works: 401
        with pytest.raises(RuntimeError, match="401.*login") as raised:
            source.list_playlists()
        messages.append(str(raised.value))

    assert len(messages) == 5
    text = "\n".join(messages) + caplog.text
    assert not [secret for secret in secrets_of(account) if secret in text]


def test_without_a_cached_token_a_run_asks_for_login_and_never_prompts(account, tmp_path, monkeypatch):
    monkeypatch.setattr("webbrowser.open", lambda *a, **k: pytest.fail("opened a browser"))
    monkeypatch.setattr("builtins.input", lambda *a: pytest.fail("prompted"))
    source = account.source(tmp_path)
    source.token_cache().unlink()

    with pytest.raises(SpotifyLoginRequired, match=r"run `\./run\.sh login`"):
        source.list_playlists()
    assert account.paths() == []


def test_redirect_uri_must_be_a_loopback_ip_with_a_port(tmp_path):
    def manager(uri):
        return SpotifySource(client_id="id", redirect_uri=uri, token_cache_path=str(tmp_path / "t.json")).auth_manager()

    with pytest.raises(ValueError, match="no longer accepts 'localhost'"):
        manager("http://localhost:8888/callback")
    with pytest.raises(ValueError, match="127.0.0.1:8888"):
        manager("http://127.0.0.1/callback")
    assert isinstance(manager("http://127.0.0.1:8888/callback"), spotipy.SpotifyPKCE)  # no secret: PKCE
    with_secret = SpotifySource(client_id="id", client_secret="s", token_cache_path=str(tmp_path / "t.json"))
    assert isinstance(with_secret.auth_manager(), spotipy.SpotifyOAuth)
    assert set(with_secret.auth_manager().scope.split()) == {
        "playlist-read-private", "playlist-read-collaborative", "user-library-read"
    }


def test_the_token_cache_defaults_to_the_xdg_config_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    source = SpotifySource(client_id="id")
    assert source.token_cache() == tmp_path / "playlist_assets" / "spotify_token.json"
    assert source.user_file() == tmp_path / "playlist_assets" / "spotify_token.user.json"


@pytest.mark.parametrize("client_secret", ["with-secret", ""])
def test_login_exchanges_the_code_and_caches_token_and_user(account, tmp_path, monkeypatch, capsys, client_secret):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = account.source(
        tmp_path,
        client_secret=client_secret and account.client_secret,
        redirect_uri=f"http://127.0.0.1:{port}/callback",
        user_id_cached=False,
    )
    source.token_cache().unlink()

    def browser(url):  # the user says yes: Spotify redirects to the local server
        state = parse_qs(urlsplit(url).query)["state"][0]
        redirect = f"{source.redirect_uri}?code=the-code&state={state}"
        threading.Thread(target=lambda: requests.get(redirect, timeout=5), daemon=True).start()
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    message = login(source, timeout_seconds=10)

    assert message == f"Logged in to Spotify as Me Myself (me); token cached in {source.token_cache()}"
    assert f"{account.server.url}/authorize?" in capsys.readouterr().err  # the authorize URL is shown
    assert account.paths() == ["/api/token", "/v1/me"]
    assert parse_qs(account.server.requests[0].body.decode())["code"] == ["the-code"]
    assert stat.S_IMODE(source.token_cache().stat().st_mode) == 0o600
    assert json.loads(source.user_file().read_text())["id"] == "me"


def test_a_listed_playlist_costs_its_item_pages_only_and_an_empty_one_nothing(account, tmp_path):
    full = account.add_playlist("  Full   of  spaces ", [track(f"t{n}") for n in range(60)])
    empty = account.add_playlist("Empty", [])
    unlisted_source = account.source(tmp_path / "elsewhere", look_up_labels=False)
    source = account.source(tmp_path, look_up_labels=False)
    listed = {p.id: p for p in source.list_playlists()}

    fetched = SpotifySource(**source.model_dump()).fetch_playlist(full)  # another run: the listing is on disk
    nothing = source.fetch_playlist(empty)
    assert account.paths()[1:] == [items_path(full)] * 2
    assert fetched.playlist == dataclasses.replace(listed[full], total_items=60)
    assert fetched.playlist.display_name == "Full of spaces" and fetched.playlist.name == "  Full   of  spaces "
    assert nothing.tracks.empty and nothing.playlist.snapshot_id == listed[empty].snapshot_id

    unlisted = unlisted_source.fetch_playlist(full)  # never listed here: its name asked for, without items
    assert unlisted.playlist.snapshot_id == listed[full].snapshot_id
    assert account.server.requests[3].query["fields"] == web_api.PLAYLIST_INFO_FIELDS
    assert account.paths()[3:] == [f"/v1/playlists/{full}"] + [items_path(full)] * 2
