"""Dagster retries the steps that call Spotify after a transient fault and fails them at once when retrying cannot help.

The fake account's client makes one attempt per request (``max_attempts=1``), so a single 5xx reaches Dagster.
"""

import dagster as dg
import pytest

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.assets.settings import NETWORK_RETRY_POLICY
from playlist_assets.features import SpotifyAudioFeatures
from playlist_assets.jobs import LIKED_KEYS, PLAYLIST_KEYS, range_tags, refresh_job
from playlist_assets.resources import OutputFolder
from playlist_assets.sources import web_api
from playlist_assets.storage import PartitionedPickleIOManager
from playlist_assets_tests.conftest import add_partitions
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, track
from playlist_assets_tests.stub_http import StubResponse

RATE_LIMITED = StubResponse(status=429, headers={"Retry-After": "9999"})  # beyond the source's cap of 5 s


@pytest.fixture
def account():
    with FakeSpotifyAccount() as fake:
        fake.extended_quota = True
        yield fake


def add_playlist(account: FakeSpotifyAccount, name: str) -> str:
    tracks = [track(f"{name}{n}") for n in range(6)]
    for n, entry in enumerate(tracks):
        values = {column: (n % 3) / 3 + i / 50 for i, column in enumerate(web_api.AUDIO_FEATURE_COLUMNS)}
        account.audio_features[entry["id"]] = {"id": entry["id"], **values}
    return account.add_playlist(name, tracks)


def graph_resources(account: FakeSpotifyAccount, tmp_path) -> dict:
    source = account.source(tmp_path, max_attempts=1, look_up_labels=False)
    return {
        "source": source,
        "features": SpotifyAudioFeatures(spotify=source),
        "output": OutputFolder(path=str(tmp_path / "output")),
        "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
    }


def events(result: dg.ExecuteInProcessResult, event_type: dg.DagsterEventType) -> list[str]:
    return [event.step_key for event in result.all_events if event.event_type == event_type]


def test_the_steps_that_call_spotify_have_the_retry_policy_and_the_others_none():
    policies = {asset.key.to_user_string(): asset.op.retry_policy for asset in ALL_ASSETS}
    network = {name: policy for name, policy in policies.items() if policy is not None}
    assert network == dict.fromkeys(["liked_tracks", "raw_tracks", "track_features"], NETWORK_RETRY_POLICY)
    assert NETWORK_RETRY_POLICY.max_retries == 2 and NETWORK_RETRY_POLICY.backoff == dg.Backoff.EXPONENTIAL


def test_a_5xx_beyond_the_clients_attempts_is_retried_by_dagster_and_the_run_succeeds(account, tmp_path, instance):
    playlist = add_playlist(account, "mix")
    account.fail("/v1/me/tracks", StubResponse(status=500))
    account.fail(f"/v1/playlists/{playlist}/items", StubResponse(status=502))
    account.fail("/v1/audio-features", StubResponse(status=503))
    resources = graph_resources(account, tmp_path)
    [key] = add_partitions(instance, {playlist: "mix"})

    liked = dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources)
    run = dg.materialize(
        ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources
    )

    assert liked.success and run.success
    assert events(liked, dg.DagsterEventType.STEP_RESTARTED) == ["liked_tracks"]
    assert events(run, dg.DagsterEventType.STEP_RESTARTED) == ["raw_tracks", "track_features"]
    assert account.paths("/v1/me/tracks") == ["/v1/me/tracks"] * 2
    assert account.paths(f"/v1/playlists/{playlist}/items") == [f"/v1/playlists/{playlist}/items"] * 2
    assert account.paths("/v1/audio-features") == ["/v1/audio-features"] * 2
    assert set(run.output_for_node("track_features")["source"]) == {"spotify audio-features"}


@pytest.mark.parametrize("fault", ["rate limit beyond the cap", "no login", "bad playlist id"])
def test_an_error_retrying_cannot_fix_fails_the_step_at_once(account, tmp_path, instance, fault):
    playlist = add_playlist(account, "mix")
    resources = graph_resources(account, tmp_path)
    asked = []  # no login, bad id: no request
    if fault == "rate limit beyond the cap":
        account.fail(f"/v1/playlists/{playlist}/items", RATE_LIMITED)
        expected = "try again after "
        asked = [f"/v1/playlists/{playlist}", f"/v1/playlists/{playlist}/items"]
    elif fault == "no login":
        resources["source"].token_cache().unlink()
        expected = "run `./run.sh login`"
    else:
        playlist = "not-a-playlist"
        expected = "'not-a-playlist' is not a Spotify id"
    [key] = add_partitions(instance, {playlist: "mix"})

    run = dg.materialize(
        ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=key, instance=instance, resources=resources,
        raise_on_error=False,
    )

    assert not run.success
    assert events(run, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = run.get_step_failure_events()
    assert failure.step_key == "raw_tracks" and expected in failure.step_failure_data.error.message
    assert account.paths() == asked


def test_in_a_run_of_several_playlists_a_rate_limit_stops_the_calls_to_spotify_and_fails_the_rest(
    account, tmp_path, instance
):
    ids = [add_playlist(account, name) for name in ("one", "two", "three")]
    account.fail(f"/v1/playlists/{ids[1]}/items", RATE_LIMITED)
    resources = graph_resources(account, tmp_path)
    keys = add_partitions(instance, dict(zip(ids, ("one", "two", "three"))))
    job = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources).resolve_job_def(refresh_job.name)
    assert job.execute_in_process(instance=instance, asset_selection=LIKED_KEYS).success

    run = job.execute_in_process(
        instance=instance, asset_selection=PLAYLIST_KEYS, tags=range_tags(keys), raise_on_error=False
    )

    assert not run.success
    assert events(run, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = run.get_step_failure_events()
    message = failure.step_failure_data.error.message
    assert failure.step_key == "clusters_page" and "3 of 3 playlists failed" in message and "try again after " in message
    assert account.paths(f"/v1/playlists/{ids[1]}/items") == [f"/v1/playlists/{ids[1]}/items"]
    assert account.paths(f"/v1/playlists/{ids[2]}") == [] and account.paths("/v1/audio-features") == []
