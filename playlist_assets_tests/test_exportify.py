"""Exportify CSV folders: real header and quirks, older column names, per-file errors, the graph on a folder."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import dagster as dg
import pytest

from playlist_assets.assets import ALL_ASSETS, PLAYLIST_ASSETS
from playlist_assets.features import ExportFeatures, FeatureChain
from playlist_assets.jobs import LIKED_KEYS
from playlist_assets.partitions import add_playlist_partitions, check_playlist_id, playlist_key
from playlist_assets.sources import ExportifySource
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS, track_frame

HEADER = (
    "Track URI,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms),Popularity,Explicit,Added By,Added At,"
    "Genres,Record Label,Danceability,Energy,Key,Loudness,Mode,Speechiness,Acousticness,Instrumentalness,Liveness,"
    "Valence,Tempo,Time Signature"
).split(",")
NAMES = ["מי זאת", "きらり", "青春修炼手册", "Échame La Culpa", "Fire 🔥 | <b>[x]</b>"]


def track_id(n: int) -> str:
    return f"{n:022d}"


def exportify_row(n: int, *, name: str = "", group: int = 0, **cells) -> dict:
    """One row as Exportify writes it; audio features in two groups far apart."""
    high = 0.8 if group else 0.2
    row = {
        "Track URI": f"spotify:track:{track_id(n)}",
        "Track Name": name or f"Song {n}",
        "Album Name": f"Album {n}",
        "Artist Name(s)": "Donny Osmond;Chorus - Mulan",
        "Release Date": f"{2000 + n}-01-01",
        "Duration (ms)": str(200_000 + n),
        "Popularity": str(40 + n),
        "Explicit": "false",
        "Added By": "",
        "Added At": "2020-03-07T20:37:52Z",
        "Genres": "dance pop,pop",
        "Record Label": "Hollywood Records",
        "Danceability": str(high + n / 1000),
        "Energy": str(high),
        "Key": "6",
        "Loudness": str(-12 + 6 * group),
        "Mode": "1",
        "Speechiness": "0.05",
        "Acousticness": str(1 - high),
        "Instrumentalness": "0",
        "Liveness": "0.1",
        "Valence": str(high),
        "Tempo": str(90 + 40 * group + n / 10),
        "Time Signature": "4",
    }
    return {**row, **cells}


def exportify_csv(rows: list[dict], header: list[str] = HEADER, bom: bool = True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[row.get(column, "") for column in header] for row in rows])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def by_name(source: ExportifySource) -> dict:
    return {playlist.name: playlist for playlist in source.list_playlists()}


def test_a_real_shaped_export_gives_the_web_api_track_table_with_label_genres_and_features(tmp_path):
    rows = [exportify_row(n, name=NAMES[n % len(NAMES)]) for n in range(5)]
    rows.insert(2, exportify_row(90, **{"Track URI": "spotify:local:Burial:Untrue:Untrue:376", "Track Name": "Untrue"}))
    rows.insert(3, dict(rows[0]))  # a duplicate
    rows.append({"Track URI": "", "Track Name": "undefined", "Album Name": "undefined", "Record Label": "undefined"})
    rows.append(exportify_row(91, **{"Track URI": "spotify:episode:5Bvdf0JeRVOZcD9TmxiMrs"}))
    write(tmp_path / "lib" / "sub" / "Top_Songs_2017_🎧_שירים.csv", exportify_csv(rows))
    source = ExportifySource(path=str(tmp_path / "lib"))

    [playlist] = source.list_playlists()
    assert playlist.name == "Top Songs 2017 🎧 שירים"
    fetched = source.fetch_playlist(check_playlist_id(playlist.id))
    tracks = fetched.tracks

    assert fetched.skipped == {"local file": 1, "episode": 1, "empty item": 1, "duplicate": 1}
    assert fetched.playlist.total_items == 9 and fetched.playlist.snapshot_id == playlist.snapshot_id
    assert list(tracks.index) == [track_id(n) for n in range(5)]
    assert list(tracks["name"]) == NAMES  # every script, byte for byte
    assert list(tracks["position"]) == [0, 1, 4, 5, 6]
    reference = track_frame({})
    assert tracks[reference.columns].dtypes.equals(reference.dtypes)
    first = tracks.iloc[0]
    assert first["artists"] == ("Donny Osmond", "Chorus - Mulan")
    assert (first["label"], first["genres"], first["album_art_url"]) == ("Hollywood Records", "dance pop,pop", "")
    assert (first["duration_ms"], first["explicit"], first["popularity"]) == (200_000, False, 40.0)
    assert first["url"] == f"https://open.spotify.com/track/{track_id(0)}"
    exported = ExportFeatures().features(tracks)
    assert list(exported.index) == list(tracks.index) and set(exported["source"]) == {"export file"}
    assert exported.loc[track_id(1), "tempo"] == pytest.approx(90.1)


def test_older_reordered_padded_and_partial_exports_are_read_by_column_name(tmp_path):
    header = [" Track ID ", "Artist Name(s)", "Artist URI(s)", "track name", "Track Duration (ms)", "Album Image URL", "Label"]
    text = (
        ",".join(header) + "\r\n"
        f' {track_id(1)} ,"Tyler\\, The Creator, Billie Eilish","spotify:artist:{"a" * 22}, spotify:artist:{"b" * 22}",'
        '  Bad Guy  ,200000,https://i.scdn.co/image/abc,Columbia\r\n'
        f'https://open.spotify.com/track/{track_id(2)}?si=x,Solo,,Other,1000,,\r\n'
    )
    write(tmp_path / "old.csv", text.encode("utf-8"))
    source = ExportifySource(path=str(tmp_path))

    tracks = source.fetch_playlist(source.list_playlists()[0].id).tracks
    assert list(tracks.index) == [track_id(1), track_id(2)]
    first = tracks.iloc[0]
    assert first["artists"] == ("Tyler, The Creator", "Billie Eilish")
    assert first["artist_ids"] == ("a" * 22, "b" * 22)
    assert (first["name"], first["label"], first["album_art_url"]) == ("Bad Guy", "Columbia", "https://i.scdn.co/image/abc")
    assert (first["release_date"], first["album"], first["explicit"]) == ("", "", False)
    assert tracks[list(AUDIO_FEATURE_COLUMNS)].isna().all().all()
    assert ExportFeatures().features(tracks).empty  # no audio columns: no export features, nothing imputed


def test_keys_are_stable_per_path_and_playlist_ids_in_file_names_are_used(tmp_path):
    playlist_id = "37i9dQZF1DXcBWIGoYBM5M"
    write(tmp_path / "a" / "Mix.csv", exportify_csv([exportify_row(1)]))
    write(tmp_path / "b" / "Mix.csv", exportify_csv([exportify_row(1)]))
    write(tmp_path / "c" / f"{playlist_id}.csv", exportify_csv([exportify_row(2)]))
    keys = {p.id: p for p in ExportifySource(path=str(tmp_path)).list_playlists()}

    assert playlist_id in keys and len(keys) == 3 and all(check_playlist_id(key) for key in keys)
    moved = tmp_path.parent / (tmp_path.name + "_moved")
    shutil.copytree(tmp_path, moved)
    assert {p.id for p in ExportifySource(path=str(moved)).list_playlists()} == set(keys)

    [mix_a, mix_b] = [p for p in keys.values() if p.name == "Mix"]
    assert mix_a.snapshot_id == mix_b.snapshot_id  # same bytes
    write(tmp_path / "a" / "Mix.csv", exportify_csv([exportify_row(1), exportify_row(3)]))
    changed = {p.id: p.snapshot_id for p in ExportifySource(path=str(tmp_path)).list_playlists()}
    assert changed[mix_a.id] != mix_a.snapshot_id and changed[mix_b.id] == mix_b.snapshot_id


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            b"Name,Artist\nSong,Someone\n",
            r"bad\.csv: line 1: no track column \(Track URI or Track ID\) in the header: Name, Artist",
        ),
        (
            exportify_csv([exportify_row(1, name="two\nlines"), exportify_row(2, **{"Duration (ms)": "3:20"})]),
            r"bad\.csv: line 4: duration '3:20' is not a number",
        ),
        (
            exportify_csv([exportify_row(1), exportify_row(2, **{"Track URI": "spotify:track:short"})]),
            r"line 3: 'spotify:track:short' is not a Spotify track URI or id",
        ),
        (exportify_csv([exportify_row(1)]) + b"spotify:track:x,too,few\n", r"line 3: 3 fields, the header has 24"),
        (
            exportify_csv([exportify_row(1, name="Café")]).replace("Café".encode(), "Café".encode("latin-1")),
            r"line 2: not UTF-8 \(byte 0xe9\)",
        ),
        (exportify_csv([exportify_row(1, Explicit="maybe")]), r"line 2: explicit 'maybe' is neither true nor false"),
        (b"", r"line 1: the file is empty"),
    ],
)
def test_a_bad_file_gets_an_error_naming_file_and_line_and_the_others_go_on(tmp_path, data, error):
    write(tmp_path / "Good.csv", exportify_csv([exportify_row(1), exportify_row(2)]))
    bad = write(tmp_path / "nested" / "bad.csv", data)
    source = ExportifySource(path=str(tmp_path))

    playlists = by_name(source)
    assert set(playlists) == {"Good", "bad"}
    with pytest.raises(ValueError, match=error) as raised:
        source.fetch_playlist(playlists["bad"].id)
    assert str(bad) in str(raised.value)
    assert len(source.fetch_playlist(playlists["Good"].id).tracks) == 2


def test_liked_songs_come_from_liked_songs_csv(tmp_path):
    write(tmp_path / "Liked_Songs.csv", exportify_csv([exportify_row(1), exportify_row(2)]))
    write(tmp_path / "Other.csv", exportify_csv([exportify_row(3)]))
    assert ExportifySource(path=str(tmp_path)).liked_track_ids() == frozenset({track_id(1), track_id(2)})


def test_the_graph_on_an_exportify_folder_places_tracks_and_fails_only_the_bad_file(tmp_path, instance, resources):
    rows = [exportify_row(n, name=NAMES[n % len(NAMES)], group=n % 2) for n in range(16)]
    rows[15] = exportify_row(15, **{column: "" for column in HEADER[12:]})  # no features: metadata only
    write(tmp_path / "lib" / "Liked_Songs.csv", exportify_csv(rows[:3]))
    write(tmp_path / "lib" / "Two_Groups.csv", exportify_csv(rows))
    write(tmp_path / "lib" / "Broken.csv", exportify_csv(rows[:3]) + b'spotify:track:x,"unterminated\n')
    source = ExportifySource(path=str(tmp_path / "lib"))
    resources = {**resources, "source": source, "features": FeatureChain(export=ExportFeatures())}
    playlists = by_name(source)
    add_playlist_partitions(instance, playlists.values())
    assert dg.materialize(ALL_ASSETS, selection=LIKED_KEYS, instance=instance, resources=resources).success

    good = dg.materialize(
        ALL_ASSETS, selection=PLAYLIST_ASSETS, partition_key=playlist_key(playlists["Two Groups"]), instance=instance, resources=resources
    )
    page = Path(good.output_for_node("clusters_page")).read_text(encoding="utf-8")
    features = good.output_for_node("track_features")
    assert good.output_for_node("track_clusters").k == 2
    assert features.loc[track_id(15), "source"] == "metadata"
    assert "1 track not placed (no audio features from any provider: 1)" in page
    assert page.endswith("Coverage: 15 of 16 tracks placed · features: export file 15, metadata 1\n")
    assert "<img" not in page and "Hollywood Records" in page and "💚" in page
    assert "מי זאת" in page and "きらり" in page and "青春修炼手册" in page

    broken = dg.materialize(
        ALL_ASSETS,
        selection=PLAYLIST_ASSETS,
        partition_key=playlist_key(playlists["Broken"]),
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not broken.success
    [failure] = [e for e in broken.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert f"{tmp_path / 'lib' / 'Broken.csv'}: line 5" in failure.step_failure_data.error.cause.message


def unescaped_line(n: int, name: str, artists: str, album: str = "") -> str:
    """A row as Exportify wrote it until 2025: text fields wrapped in quotes, quotes inside them not doubled."""
    features = "0.5,0.6,5,-7.0,1,0.04,0.3,0,0.1,0.5,120.0,4"
    return (
        f'spotify:track:{track_id(n)},"{name}","{album or f"Album {n}"}","{artists}",1979-01-01,239000,40,false,'
        f'someone,2024-02-24T16:06:00Z,"disco,post-disco","RCA",{features}\n'
    )


def test_quotes_exportify_did_not_escape_are_read_as_part_of_the_names_in_playlists_and_liked_songs(tmp_path):
    header = ",".join(HEADER) + "\n"
    lines = [
        unescaped_line(1, "Shame", 'Evelyn "Champagne" King'),
        unescaped_line(2, '"Heroes" - 2017 Remaster', "David Bowie", album='"Heroes"'),
        unescaped_line(3, "I Will (feat. KXNG Crooked)", "Eminem;KXNG Crooked;Royce Da 5'9\",Joell Ortiz"),
        unescaped_line(4, 'Feel It (From "Invincible")', "d4vd"),
        unescaped_line(5, "Plain, with a comma", "Someone"),
    ]
    write(tmp_path / "Liked_Songs.csv", ("\ufeff" + header + "".join(lines[:2])).encode())
    write(tmp_path / "Disco.csv", ("\ufeff" + header + "".join(lines)).encode())
    source = ExportifySource(path=str(tmp_path))

    assert source.liked_track_ids() == frozenset({track_id(1), track_id(2)})
    tracks = source.fetch_playlist(by_name(source)["Disco"].id).tracks
    assert list(tracks["name"]) == [
        "Shame", '"Heroes" - 2017 Remaster', "I Will (feat. KXNG Crooked)", 'Feel It (From "Invincible")', "Plain, with a comma"
    ]
    assert list(tracks["artists"]) == [
        ('Evelyn "Champagne" King',), ("David Bowie",), ("Eminem", "KXNG Crooked", "Royce Da 5'9\",Joell Ortiz"),
        ("d4vd",), ("Someone",),
    ]
    assert tracks.loc[track_id(2), "album"] == '"Heroes"' and tracks.loc[track_id(5), "label"] == "RCA"
    assert list(tracks["duration_ms"]) == [239000] * 5


def test_a_file_escaped_right_keeps_its_doubled_quotes_where_one_line_is_repaired(tmp_path):
    rows = [exportify_row(1, name='Feel It (From "Invincible")'), exportify_row(2)]
    data = exportify_csv(rows) + unescaped_line(3, 'Say "Hi"', "Someone").encode()
    write(tmp_path / "Mixed.csv", data)
    source = ExportifySource(path=str(tmp_path))
    tracks = source.fetch_playlist(source.list_playlists()[0].id).tracks
    assert list(tracks["name"]) == ['Feel It (From "Invincible")', "Song 2", 'Say "Hi"']


def test_a_quote_and_comma_inside_a_name_that_cannot_be_told_apart_fails_that_file_alone_in_words(tmp_path):
    header = "\ufeff" + ",".join(HEADER) + "\n"
    write(tmp_path / "Good.csv", (header + unescaped_line(1, 'Evelyn "Champagne"', "King")).encode())
    bad = write(tmp_path / "Bad.csv", (header + unescaped_line(1, "x", "y") + unescaped_line(2, 'Say "Hi","There"', "C")).encode())
    source = ExportifySource(path=str(tmp_path))
    playlists = by_name(source)

    with pytest.raises(ValueError) as raised:
        source.fetch_playlist(playlists["Bad"].id)
    assert str(raised.value) == (
        f"{bad}: line 3: a quote inside a name that Exportify did not escape, followed by a comma: "
        "where the name ends cannot be told"
    )
    assert list(source.fetch_playlist(playlists["Good"].id).tracks["name"]) == ['Evelyn "Champagne"']


def test_older_exportify_formats_with_comma_joined_artists_and_a_repeated_header_name(tmp_path):
    # pavelkomarov/exportify 2024: "Track ID", tabs in the header, artists joined by a bare comma, no artist URIs.
    older = (
        "Track ID,Track Name,Album Name,Artist Name(s),Release Date,Duration (ms),Popularity,Added By,Added At,Genres,"
        "Record Label,\t\t\t\tDanceability,Energy\n"
        f'{track_id(1)},"Bella Notte","Lady and the Tramp","Peggy Lee,Oliver Wallace",1955,160000,30,me,2024-01-01,'
        '"","Walt Disney",0.3,0.2\n'
        f'{track_id(2)},"Yonkers","Goblin","Tyler, The Creator",2011,250000,60,me,2024-01-01,"","XL",0.6,0.7\n'
    )
    # 2019: artist ids give the count; 2025-05-23: "Explicit" named twice, once in the rows.
    with_ids = (
        "Spotify ID,Artist IDs,Track Name,Artist Name(s),Explicit,Added At,Explicit\n"
        f'{track_id(3)},"{"a" * 22},{"b" * 22}","September","Earth, Wind & Fire,The Emotions",true,2019-08-01\n'
    )
    write(tmp_path / "Older.csv", older.encode())
    write(tmp_path / "With_Ids.csv", with_ids.encode())
    source = ExportifySource(path=str(tmp_path))
    playlists = by_name(source)

    older_tracks = source.fetch_playlist(playlists["Older"].id).tracks
    assert list(older_tracks["artists"]) == [("Peggy Lee", "Oliver Wallace"), ("Tyler, The Creator",)]
    assert list(older_tracks["danceability"]) == [0.3, 0.6]
    [september] = source.fetch_playlist(playlists["With Ids"].id).tracks.itertuples()
    assert september.artists == ("Earth, Wind & Fire", "The Emotions") and september.explicit
    assert september.artist_ids == ("a" * 22, "b" * 22)


def test_files_of_the_same_name_are_told_apart_by_their_paths(tmp_path):
    write(tmp_path / "2024" / "Chill.csv", exportify_csv([exportify_row(1)]))
    write(tmp_path / "2025" / "Chill.csv", exportify_csv([exportify_row(2)]))
    write(tmp_path / "Road__Trip_.csv", exportify_csv([exportify_row(3)]))
    source = ExportifySource(path=str(tmp_path))

    listed = sorted(playlist.display_name for playlist in source.list_playlists())
    assert listed == ["Chill (2024/Chill.csv)", "Chill (2025/Chill.csv)", "Road Trip"]
    fetched = [source.fetch_playlist(playlist.id).playlist for playlist in source.list_playlists()]
    assert sorted(playlist.display_name for playlist in fetched) == listed
    assert source.left_out_playlists() == []
