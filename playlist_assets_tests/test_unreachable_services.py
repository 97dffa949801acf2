"""A feature service that cannot be reached (no connection, the connection dropped): a few tracks of a playlist
are left unplaced with the reason; a playlist needing it for more fails in words, its page kept; the others go on;
the service is not asked track by track."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from playlist_assets import cli
from playlist_assets.analysis import not_placed_reasons
from playlist_assets.assets import ALL_ASSETS
from playlist_assets.features import FeatureChain, ReccoBeatsFeatures
from playlist_assets.features.deezer import UNREACHABLE_AFTER
from playlist_assets.features.unreachable import ServiceUnreachable
from playlist_assets.jobs import refresh_job
from playlist_assets.model import ASKED_OF_PROVIDERS, PROVIDER_MISSES
from playlist_assets.render import playlist_slug
from playlist_assets.sensors import library_changes
from playlist_assets_tests.deezer_stub import FakeDeezer, click_track
from playlist_assets_tests.reccobeats_stub import FakeReccoBeats
from playlist_assets_tests.servers import free_port
from playlist_assets_tests.spotify_stub import FakeSpotifyAccount, item, track
from playlist_assets_tests.stub_http import StubResponse
from playlist_assets_tests.test_preview_chain import spotify_features
from playlist_assets_tests.test_previews import track_id, track_table
from playlist_assets_tests.test_retries import graph_resources

HANG_UP = StubResponse(hang_up=True)


def test_reccobeats_refusing_the_connection_is_said_in_words_without_the_tracks_asked():
    root = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    tracks = track_table([{"id": track_id(n)} for n in range(3)])
    with pytest.raises(ServiceUnreachable) as raised:
        ReccoBeatsFeatures(base_url=root).features(tracks)

    assert str(raised.value) == (
        f"ReccoBeats could not be reached at {root}: the connection was refused. "
        "The next refresh tries again; PLAYLIST_ASSETS_RECCOBEATS=off clusters without it"
    )


def test_deezer_hanging_up_fails_the_playlist_after_a_few_requests_and_the_next_one_asks_once():
    with FakeDeezer() as deezer:
        for n in range(40):
            deezer.add(f"USAAA{n:07d}", f"Song {n}", "Band", 180, click_track(100 + n))
        tracks = track_table([{"id": track_id(n), "isrc": f"USAAA{n:07d}"} for n in range(40)])
        provider = deezer.provider(workers=4)
        deezer.fail("/track/", *[HANG_UP] * 1000)
        with pytest.raises(ServiceUnreachable, match=r"^Deezer could not be reached at .*: the connection was lost"):
            provider.features(tracks)
        first = len(deezer.api_paths())
        with pytest.raises(ServiceUnreachable):
            provider.features(tracks)  # the next playlist
        second = len(deezer.api_paths()) - first
        deezer.recover()
        back = provider.features(tracks)  # Deezer is back: the first answer counts it reachable again

    assert UNREACHABLE_AFTER <= first < UNREACHABLE_AFTER + 4  # the requests in flight when it counted as unreachable
    assert 1 <= second <= 4  # one a worker at most
    assert len(back) == 40


def test_a_few_tracks_reccobeats_cannot_be_reached_for_are_left_unplaced_and_asked_again_next_time(tmp_path):
    ids = [track_id(n) for n in range(20)]
    tracks = track_table([{"id": i} for i in ids])
    with FakeReccoBeats({i: spotify_features(n) for n, i in enumerate(ids)}) as reccobeats:
        chain = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path))
        chain.features(tracks.iloc[:18])  # the first 18 in the cache
        reccobeats.faults.extend([HANG_UP] * 10)
        found = chain.features(tracks)  # 2 of 20 not reached: a tenth at most
        with pytest.raises(ServiceUnreachable):
            chain.features(track_table([{"id": i} for i in ids + [track_id(20)]]))  # 3 of 21: more than a tenth
        reccobeats.faults.clear()
        again = chain.features(tracks)
        asked_last = reccobeats.asked()[-1]

    reason = "ReccoBeats could not be reached"
    assert list(found.loc[ids[18:], "source"]) == ["metadata", "metadata"]
    assert found.attrs[PROVIDER_MISSES] == {"reccobeats": dict.fromkeys(ids[18:], reason)}
    assert found.attrs[ASKED_OF_PROVIDERS] == {"reccobeats": (18, 18)}  # the share it knew counts the tracks it answered
    assert list(not_placed_reasons(found, pd.Index(ids[18:]))) == [reason, reason]
    assert asked_last == ids[18:] and (again["source"] == "reccobeats").all()  # not remembered as unknown


def test_playlists_needing_an_unreachable_reccobeats_for_many_tracks_fail_alone_and_keep_their_pages(
    tmp_path, instance, capsys
):
    with FakeSpotifyAccount() as account, FakeReccoBeats({}) as reccobeats:
        entries = {name: [track(f"{name}{n:019d}", f"Song {n}") for n in range(12)] for name in ("one", "two")}
        reccobeats.catalogue.update({e["id"]: spotify_features(n) for n, e in enumerate(entries["one"] + entries["two"])})
        one = account.add_playlist("One", entries["one"])
        two = account.add_playlist("Two", entries["two"])
        resources = graph_resources(account, tmp_path)
        resources["features"] = FeatureChain(reccobeats=reccobeats.provider(), cache_dir=str(tmp_path / "cache"))
        defs = dg.Definitions(assets=ALL_ASSETS, jobs=[refresh_job], resources=resources)
        assert cli.refresh(instance, defs) == 0
        pages = {key: Path(tmp_path / "output" / "playlists" / playlist_slug(key, name) / "clusters.md")
                 for key, name in ((one, "One"), (two, "Two"))}
        written = {key: page.read_bytes() for key, page in pages.items()}
        capsys.readouterr()

        # One gains a track ReccoBeats was never asked about (1 of 13), Two gains three (3 of 15)
        new = {key: [track(f"new{key[-1]}{n:018d}", f"New {n}") for n in range(count)] for key, count in ((one, 1), (two, 3))}
        for key, added in new.items():
            reccobeats.catalogue.update({e["id"]: spotify_features(20 + n) for n, e in enumerate(added)})
            account.items[key] += [item(entry) for entry in added]
            account.playlists[key]["snapshot_id"] += "-edited"
        asked_before = len(reccobeats.asked())
        reccobeats.faults.extend([HANG_UP] * 100)
        assert cli.refresh(instance, defs) == 1
        asked = reccobeats.asked()[asked_before:]
        printed = capsys.readouterr()
        page_one, page_two = pages[one].read_text(encoding="utf-8"), pages[two].read_bytes()
        changes = library_changes(instance, resources["source"].list_playlists())  # the sensor runs changed ones only
        assert (changes.changed, changes.incomplete) == ([playlist_slug(two, "Two")], [playlist_slug(one, "One")])

        reccobeats.faults.clear()  # ReccoBeats is back: the next refresh asks for what it could not answer
        assert cli.refresh(instance, defs) == 0
        asked_back = reccobeats.asked()[asked_before + len(asked):]
        assert cli.refresh(instance, defs) == 0  # and then nothing is due

    assert len(reccobeats.asked()) == asked_before + len(asked) + len(asked_back)
    assert "Traceback" not in printed.out + printed.err
    assert [line for line in printed.err.splitlines() if "FAILED" in line] == [
        f"  Two ({two}): FAILED: ReccoBeats could not be reached at {reccobeats.server.url}/v1: the connection was lost. "
        "The next refresh tries again; PLAYLIST_ASSETS_RECCOBEATS=off clusters without it"
    ]
    assert page_two == written[two]  # kept as it was
    assert "1 track not placed (ReccoBeats could not be reached: 1)" in page_one and new[one][0]["id"] in page_one
    assert asked == [[e["id"] for e in new[key]] for key in (one, two)]  # once each, for the tracks the cache lacked
    assert asked_back == asked  # One unchanged since, but refreshed for its track; Two still due
    assert "Not placed" not in pages[one].read_text(encoding="utf-8")
