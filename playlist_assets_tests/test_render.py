"""The markdown page, the scatter image and their paths."""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import matplotlib.style
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from playlist_assets.analysis.placement import PREVIEW_SCALE
from playlist_assets.model import ASKED_OF_PROVIDERS, AUDIO_SPACE, PROVIDER_MISSES, TRACK_COLUMNS, Axis, Clustering, PlaylistInfo
from playlist_assets.render import (
    build_scatter_figure,
    escape_cell,
    page_path,
    playlist_slug,
    relative_link,
    render_clusters_page,
    render_scatter,
    scatter_path,
)
from playlist_assets.render.png import encode_png
from playlist_assets.render.scatter import STYLE
from playlist_assets.writers.files import write_atomically

HEADER = "| Art | Track | Album | Artists | Label | 💚 | 🔗 |"
SEPARATOR = "|:---|:---|:---|:---|:---|:---|:---|"
PLAYLIST = PlaylistInfo(id="37i9dQZF1DX4JAvHpjipBk", name="International Pop", snapshot_id="s1")
HOSTILE_NAMES = [
    "a | b",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "`code` **bold** _it_",
    "line\nbreak\r\nand\ttab",
    "back\\slash\\",
    "&lt;already&gt;",
]
# Hebrew, Japanese, Chinese, accents (precomposed and combining), emoji, RTL/LTR marks.
WORLD_NAMES = ["מי זאת", "きらり", "青春修炼手册", "ROSALÍA", "Chill 🎧✨", "\u200fשלום\u200e abc", "Meleğim", "e\u0301"]


def make_tracks(count: int, **columns: list) -> pd.DataFrame:
    """``count`` tracks t0, t1...; ``columns`` override the defaults column by column."""
    ids = [f"t{i}" for i in range(count)]
    data = {
        "name": [f"Song {i}" for i in range(count)],
        "album": [f"Album {i}" for i in range(count)],
        "album_art_url": [f"https://i.scdn.co/image/art{i}" for i in range(count)],
        "artists": [(f"Artist {i}", "Guest") for i in range(count)],
        "artist_ids": [(f"a{i}", "g") for i in range(count)],
        "label": [f"Label {i}" for i in range(count)],
        "release_date": ["2019"] * count,
        "duration_ms": [200_000] * count,
        "explicit": [False] * count,
        "isrc": [""] * count,
        "added_at": [""] * count,
        "position": list(range(count)),
        "url": [f"https://open.spotify.com/track/{track_id}" for track_id in ids],
    }
    data.update(columns)
    return pd.DataFrame(data, index=pd.Index(ids, name="track_id"))[list(TRACK_COLUMNS)]


def make_features(track_ids, source: str = "demo (synthetic)") -> pd.DataFrame:
    return pd.DataFrame(
        {"energy": [0.5] * len(track_ids), "source": [source] * len(track_ids)},
        index=pd.Index(list(track_ids), name="track_id"),
    )


def make_clustering(clusters: dict[int, list[str]]) -> Clustering:
    """A clustering with ``clusters`` (cluster -> track ids, nearest its centre first)."""
    rows = []
    for cluster, track_ids in clusters.items():
        for rank, track_id in enumerate(track_ids, start=1):
            rows.append((track_id, cluster, rank / 10, cluster + rank / 10, cluster - rank / 20, rank))
    tracks = pd.DataFrame(rows, columns=["track_id", "cluster", "distance", "x", "y", "rank"]).set_index("track_id")
    centres = pd.DataFrame({"x": [float(c) for c in clusters], "y": [float(c) for c in clusters]}, index=list(clusters))
    return Clustering(
        tracks=tracks,
        k=len(clusters),
        score=0.4123 if len(clusters) > 1 else None,
        scores={len(clusters): 0.4123},
        feature_columns=("energy", "danceability"),
        axes=(Axis("Energetic · Danceable · not Acoustic", 0.341), Axis("Calm · Sad", 0.207)),
        centres=centres.rename_axis("cluster"),
        profiles={cluster: f"Profile of cluster {cluster}" for cluster in clusters},
        note="k chosen by silhouette among 2-6.",
    )


def not_clustered(note: str) -> Clustering:
    return Clustering(
        tracks=pd.DataFrame(columns=["cluster", "distance", "x", "y", "rank"], index=pd.Index([], name="track_id")),
        k=0,
        score=None,
        scores={},
        feature_columns=(),
        axes=None,
        centres=pd.DataFrame(columns=["x", "y"]),
        profiles={},
        note=note,
    )


def render(tracks, clustering, *, features=None, liked=frozenset(), skipped=None, image_link="img.png", name=None):
    playlist = PLAYLIST if name is None else PlaylistInfo(id=PLAYLIST.id, name=name, snapshot_id="s1")
    return render_clusters_page(
        playlist=playlist,
        tracks=tracks,
        features=make_features(tracks.index) if features is None else features,
        clustering=clustering,
        liked=liked,
        image_link=image_link,
        skipped=skipped or {},
    )


def table_rows(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("|") and line not in (HEADER, SEPARATOR)]


def unescaped_pipes(line: str) -> int:
    """The pipes that delimit cells: a backslash escapes the character after it."""
    return re.sub(r"\\.", "", line).count("|")


# --- markdown page ---


def test_cluster_table_matches_the_seed_format_exactly():
    tracks = make_tracks(3, album_art_url=["https://i.scdn.co/image/abc", "", "javascript:alert(1)"])
    tracks.loc["t2", "url"] = "http://example.com/t2"
    page = render(tracks, make_clustering({1: ["t1", "t0", "t2"]}), liked=frozenset({"t1"}))

    lines = page.splitlines()
    table_start = lines.index(HEADER)
    assert lines[table_start - 6 : table_start + 5] == [
        "## Cluster #1",
        "",
        "3 tracks",
        "",
        "Profile of cluster 1",
        "",
        HEADER,
        SEPARATOR,
        "| | Song 1 | Album 1 | Artist 1, Guest | Label 1 | 💚 | [🔗](https://open.spotify.com/track/t1) |",
        '| <img src="https://i.scdn.co/image/abc" alt="" width="50" /> | Song 0 | Album 0 | Artist 0, Guest | Label 0 |'
        " | [🔗](https://open.spotify.com/track/t0) |",
        "| | Song 2 | Album 2 | Artist 2, Guest | Label 2 | | |",
    ]


def test_page_head_says_how_it_was_clustered():
    image_link = "../../images/x/clusters_scatter.png"
    page = render(make_tracks(2), make_clustering({1: ["t0"], 2: ["t1"]}), image_link=image_link)

    assert page.startswith(
        "# Clusters in International Pop\n\n"
        "![Scatter of the clusters](../../images/x/clusters_scatter.png)\n\n"
        "2 clusters among 2 tracks, by energy and danceability. k chosen by silhouette among 2-6.\n\n"
        "Scatter axes: x = Energetic · Danceable · not Acoustic (34 % of variance); "
        "y = Calm · Sad (21 % of variance).\n\n"
        "## Cluster #1\n\n1 track\n\n"
    )
    assert "\n\n## Cluster #2\n\n1 track\n\n" in page
    assert page.endswith(" · features: demo (synthetic) 2\n") and not page.endswith("\n\n")


def test_top_n_rows_then_the_rest_collapsed_in_details():
    tracks = make_tracks(12)
    page = render(tracks, make_clustering({1: list(tracks.index[::-1])}))

    head, details = page.split("<details><summary>2 more tracks</summary>\n\n")
    assert [row.split(" | ")[1] for row in table_rows(head)] == [f"Song {i}" for i in range(11, 1, -1)]
    assert details.startswith(HEADER + "\n" + SEPARATOR + "\n")
    table, after = details.split("\n\n</details>\n\n")
    assert [row.split(" | ")[1] for row in table_rows(table)] == ["Song 1", "Song 0"]
    assert after.startswith("Coverage: 12 of 12 tracks placed")


def test_one_more_track_is_singular():
    tracks = make_tracks(11)
    assert "<summary>1 more track</summary>" in render(tracks, make_clustering({1: list(tracks.index)}))


@pytest.mark.parametrize("field", ["name", "album", "label", "artists", "playlist"])
def test_hostile_names_cannot_break_tables_links_or_html(field):
    n = len(HOSTILE_NAMES)
    columns = {"artists": [(name, name) for name in HOSTILE_NAMES]} if field == "artists" else {field: HOSTILE_NAMES}
    tracks = make_tracks(n, **({} if field == "playlist" else columns))
    name = " ".join(HOSTILE_NAMES) if field == "playlist" else None
    page = render(tracks, make_clustering({1: list(tracks.index[:5])}), name=name)

    rows = table_rows(page)
    assert len(rows) == n  # 5 in the cluster, 3 not placed: no name broke a row in two
    assert all(unescaped_pipes(row) == 8 for row in rows)
    assert page.splitlines()[1] == ""  # the heading stayed on one line
    unescaped = re.sub(r"\\.", "", page)
    for raw in ("<script", "<img src=x", "](javascript:", "\t", "\r"):
        assert raw not in unescaped
    # The only links are ours: the image and the 🔗 links.
    assert unescaped.count("[") == 1 + n and unescaped.count("![Scatter of the clusters](") == 1 and unescaped.count("[🔗](") == n


def test_escape_cell():
    assert escape_cell("a|b [c](d) `e` *f* _g_ \\ <h> & i\nj\r\tk") == (
        "a\\|b \\[c\\](d) \\`e\\` \\*f\\* \\_g\\_ \\\\ &lt;h&gt; &amp; i j  k"
    )


def test_world_names_come_out_byte_exact():
    tracks = make_tracks(len(WORLD_NAMES), name=WORLD_NAMES, album=WORLD_NAMES, artists=[(n,) for n in WORLD_NAMES])
    page = render(tracks, make_clustering({1: list(tracks.index)}), name="青春 🎧 מי זאת")

    assert page.startswith("# Clusters in 青春 🎧 מי זאת\n")
    for row, name in zip(table_rows(page), WORLD_NAMES):
        assert f" | {name} | {name} | {name} | " in row


def test_page_is_clean_utf8():
    page = render(make_tracks(2), make_clustering({1: ["t0", "t1"]}), liked=frozenset({"t0"}))

    assert page.encode("utf-8").decode("utf-8") == page
    assert "💚" in page and "🔗" in page
    assert "ğŸ" not in page
    assert page == render(make_tracks(2), make_clustering({1: ["t0", "t1"]}), liked=frozenset({"t0"}))


def test_every_relative_link_resolves(tmp_path):
    clustering = make_clustering({1: ["t0", "t1"], 2: ["t2"]})
    slug = playlist_slug(PLAYLIST.id, PLAYLIST.name)
    page_file, image_file = page_path(tmp_path, slug), scatter_path(tmp_path, slug)
    write_atomically(image_file, render_scatter(clustering, PLAYLIST.name))
    page = render(make_tracks(3), clustering, image_link=relative_link(page_file, image_file))
    write_atomically(page_file, page.encode("utf-8"))

    targets = re.findall(r"\]\(([^)]+)\)", page_file.read_text(encoding="utf-8"))
    local = [target for target in targets if not target.startswith(("http://", "https://"))]
    assert local == ["../../images/playlists/" + slug + "/clusters/clusters_scatter.png"]
    assert all((page_file.parent / target).resolve().is_file() for target in local)


def test_not_clustered_without_tracks_says_why():
    page = render(make_tracks(0), not_clustered("0 tracks: too few"), skipped={"local file": 1, "episode": 2})

    assert page == (
        "# Clusters in International Pop\n\n"
        "Not clustered — this playlist has no playable tracks\n\n"
        "Coverage: 0 of 0 tracks placed · left out: 1 local file, 2 episodes\n"
    )


def test_not_clustered_lists_tracks_by_position():
    tracks = make_tracks(2, position=[1, 0])
    page = render(tracks, not_clustered("too few tracks (2; at least 10 needed)"))

    assert "Not clustered — too few tracks (2; at least 10 needed)\n\n" + HEADER in page
    assert [row.split(" | ")[1] for row in table_rows(page)] == ["Song 1", "Song 0"]
    assert "![" not in page and "## Cluster" not in page
    assert page.endswith("\n\nCoverage: 0 of 2 tracks placed · features: demo (synthetic) 2\n")


def test_not_placed_section_and_coverage_line():
    tracks = make_tracks(5)
    features = pd.concat([make_features(["t0", "t1", "t3"]), make_features(["t2"], source="ReccoBeats")])
    features.loc["t3", "energy"] = float("nan")  # metadata only, say
    skipped = {"local file": 2, "episode": 1, "duplicate": 1, "unavailable": 3, "empty item": 0}
    page = render(tracks, make_clustering({1: ["t0", "t1"], 2: ["t2"]}), features=features, skipped=skipped)

    not_placed = page.split("## Not placed\n\n")[1]
    assert not_placed.startswith(
        "2 tracks not placed (no audio features from any provider: 1; no features from any provider: 1)\n\n" + HEADER
    )
    assert [row.split(" | ")[1] for row in table_rows(not_placed)] == ["Song 3", "Song 4"]
    assert page.splitlines()[-1] == (
        "Coverage: 3 of 5 tracks placed · left out: 2 local files, 1 episode, 3 unavailable, 1 duplicate"
        " · features: demo (synthetic) 3, ReccoBeats 1"
    )


def test_coverage_singular_and_no_features():
    page = render(make_tracks(1), not_clustered("too few tracks"), features=make_features([]), skipped={"duplicate": 1})
    assert page.endswith("Coverage: 0 of 1 track placed · left out: 1 duplicate · features: none\n")


# --- paths ---


@pytest.mark.parametrize(
    ("name", "expected_words"),
    [
        ("International Pop", "international_pop"),
        ("Échame  La—Culpa!!", "echame_la_culpa"),
        ("..", "playlist"),
        ("../../etc/passwd", "etc_passwd"),
        ("CON", "con"),
        ("青春", "playlist"),
        ("🎧", "playlist"),
        ("", "playlist"),
        ("a\\b/c", "a_b_c"),
    ],
)
def test_slug_is_readable_and_safe(name, expected_words):
    slug = playlist_slug("37i9dQZF1DX4JAvHpjipBk", name)
    assert re.fullmatch(expected_words + "_[0-9a-f]{8}", slug)
    assert "/" not in slug and "\\" not in slug and not slug.startswith(".")


def test_slug_is_short_and_unique_per_id():
    assert len(playlist_slug("id", "word " * 60)) <= 40 + 9
    assert playlist_slug("abc", "Pop!") != playlist_slug("abd", "Pop?")
    assert playlist_slug("aBc", "Pop") != playlist_slug("abc", "Pop")  # ids differing only in case
    assert playlist_slug("abc", "Pop") == playlist_slug("abc", "Pop")


def test_paths_and_relative_link(tmp_path):
    page = page_path(tmp_path, "pop_12345678")
    image = scatter_path(tmp_path, "pop_12345678")
    assert page == tmp_path / "playlists" / "pop_12345678" / "clusters.md"
    assert image == tmp_path / "images" / "playlists" / "pop_12345678" / "clusters" / "clusters_scatter.png"
    assert relative_link(page, image) == "../../images/playlists/pop_12345678/clusters/clusters_scatter.png"


# --- scatter ---


def test_scatter_png_is_reproducible():
    clustering = make_clustering({1: ["t0", "t1", "t2"], 2: ["t3", "t4"]})
    png = render_scatter(clustering, "International Pop")
    assert png.startswith(b"\x89PNG")
    assert render_scatter(clustering, "International Pop") == png
    assert b"Software" not in png


def test_the_scatter_png_has_the_pixels_matplotlib_writes():
    clustering = make_clustering({1: ["t0", "t1", "t2"], 2: ["t3", "t4"]})
    png = render_scatter(clustering, "International Pop")
    matplotlibs = io.BytesIO()
    with matplotlib.style.context(STYLE):
        build_scatter_figure(clustering, "International Pop").canvas.print_png(matplotlibs)
    ours, expected = (np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")) for data in (png, matplotlibs.getvalue()))
    assert ours.shape == (600, 900, 4)
    assert (ours == expected).all()


def test_png_encoding_keeps_every_pixel_and_the_resolution():
    rgba = np.random.default_rng(0).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    rgba[:, :, 3] = 255
    image = Image.open(io.BytesIO(encode_png(rgba, 100)))
    assert (image.mode, image.size) == ("RGB", (5, 7))
    assert (np.asarray(image) == rgba[:, :, :3]).all()
    assert image.info["dpi"] == pytest.approx((100, 100), abs=0.01)


def fresh_figure_png(clustering: Clustering, title: str) -> bytes:
    """``render_scatter`` in a new thread, so on a figure of its own that has drawn nothing before."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(render_scatter, clustering, title).result()


def test_a_reused_figure_draws_the_same_bytes_as_a_new_one():
    small = make_clustering({1: ["t0", "t1", "t2"], 2: ["t3", "t4"]})
    wide = make_clustering({cluster: [f"t{cluster}{i}" for i in range(3)] for cluster in range(1, 13)})
    far = wide.tracks.assign(x=wide.tracks["x"] * 1e5 - 3e7, y=wide.tracks["y"] * 1e-4)  # offset tick labels
    wide = dataclasses.replace(wide, tracks=far, centres=wide.centres.assign(x=lambda c: c["x"] * 1e5 - 3e7))
    expected = fresh_figure_png(small, "International Pop")
    for before, title in [(wide, "A long name " * 20), (small, "International Pop"), (wide, "$x$ 青春")]:
        render_scatter(before, title)  # on this thread's figure, which the next image reuses
        assert render_scatter(small, "International Pop") == expected
    assert fresh_figure_png(wide, "A long name " * 20) == render_scatter(wide, "A long name " * 20)


def test_scatter_figure_labels():
    figure = build_scatter_figure(make_clustering({1: ["t0", "t1", "t2"], 2: ["t3"]}), "International Pop")
    ax = figure.axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "Cluster 1 (3 tracks)",
        "Cluster 2 (1 track)",
        "Centre",
    ]
    assert ax.get_xlabel() == "Energetic · Danceable · not Acoustic (34 %)"
    assert ax.get_ylabel() == "Calm · Sad (21 %)"
    assert ax.get_title() == "International Pop"
    colours = {tuple(collection.get_facecolor()[0]) for collection in ax.collections[:2]}
    assert len(colours) == 2


@pytest.mark.parametrize(
    "title",
    ["W" * 70, "WIDE " * 30, "Mmm" * 40, "A long name " * 20, "International Pop"],
)
def test_the_whole_title_is_inside_the_scatter(title):
    with matplotlib.style.context(STYLE):
        figure = build_scatter_figure(make_clustering({1: ["t0", "t1", "t2"], 2: ["t3"]}), title)
        figure.canvas.draw()
        drawn = figure.axes[0].title
        extent = drawn.get_window_extent(figure.canvas.get_renderer())
    assert re.sub(r"\s", "", drawn.get_text()) == re.sub(r"\s", "", title)
    assert 0 <= extent.x0 and extent.x1 <= figure.bbox.width and extent.y1 <= figure.bbox.height
    assert extent.y0 > figure.axes[0].get_window_extent().y1  # above the axes, not over the points


def test_a_named_cluster_has_its_name_in_the_heading_and_the_legend():
    clustering = dataclasses.replace(
        make_clustering({1: ["t0", "t1"], 2: ["t2"]}), names={1: "Acoustic & calm", 2: "Less danceable & instrumental | x"}
    )
    page = render(make_tracks(3), clustering)
    assert "\n\n## Cluster #1 · Acoustic & calm\n\n2 tracks\n\n" in page
    assert "\n\n## Cluster #2 · Less danceable & instrumental \\| x\n\n1 track\n\n" in page
    legend = build_scatter_figure(clustering, "International Pop").axes[0].get_legend().get_texts()
    assert [text.get_text() for text in legend] == [
        "Cluster 1 (2 tracks)\nAcoustic & calm",
        "Cluster 2 (1 track)\nLess danceable &\ninstrumental | x",
        "Centre",
    ]


def test_a_cluster_keeps_its_colour_whatever_the_other_numbers():
    def colours(clusters: dict[int, list[str]]) -> dict[int, tuple]:
        ax = build_scatter_figure(make_clustering(clusters), "Mix").axes[0]
        return {number: tuple(c.get_facecolor()[0]) for number, c in zip(clusters, ax.collections)}

    assert colours({2: ["t0"], 4: ["t1"]}) == {2: colours({1: ["t2"], 2: ["t0"]})[2], 4: colours({3: ["t2"], 4: ["t1"]})[4]}
    assert len(set(colours({1: ["t0"], 11: ["t1"]}).values())) == 2  # tab20 above 10: #11 is not #1's colour


@pytest.mark.parametrize(
    ("title", "shown"),
    [("青春修炼手册 🎧", "Clusters"), ("מי זאת 🎧 Mix", "מי זאת Mix"), ("$x$ Mix", "$x$ Mix")],
)
def test_scatter_draws_every_glyph(title, shown):
    clustering = make_clustering({1: ["t0", "t1"], 2: ["t2"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_scatter(clustering, title)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert build_scatter_figure(clustering, title).axes[0].get_title() == shown


def test_scatter_needs_a_clustering():
    with pytest.raises(ValueError):
        render_scatter(not_clustered("too few tracks"), "x")


def test_the_title_reads_as_people_read_names_and_the_coverage_line_gives_reccobeats_share():
    tracks = make_tracks(5)
    features = make_features(tracks.index)
    features.attrs[ASKED_OF_PROVIDERS] = {"spotify": (0, 5), "reccobeats": (3, 5)}
    playlist = PlaylistInfo(id=PLAYLIST.id, name=" bath \u3000 time\t", snapshot_id="s1", distinction="Léa")
    page = render_clusters_page(
        playlist=playlist, tracks=tracks, features=features, clustering=not_clustered("too few"), liked=frozenset(),
        image_link=None, skipped={},
    )
    assert page.startswith("# Clusters in bath time (Léa)\n")
    assert page.endswith(" · ReccoBeats knew 3 of the 5 tracks asked (60%)\n")


def test_scatter_centres_are_in_their_clusters_colours_with_a_black_edge():
    figure = build_scatter_figure(make_clustering({1: ["t0", "t1", "t2"], 2: ["t3", "t4"]}), "International Pop")
    ax = figure.axes[0]
    clusters, centres = ax.collections[:2], ax.collections[2]
    assert [tuple(face[:3]) for face in centres.get_facecolor()] == [tuple(c.get_facecolor()[0][:3]) for c in clusters]
    assert all(tuple(edge) == (0.0, 0.0, 0.0, 1.0) for edge in centres.get_edgecolor())


@pytest.mark.parametrize("name", ["A " * 120, "Supercalifragilistic" * 12])
def test_a_long_playlist_name_is_never_clipped_off_the_image(name):
    figure = build_scatter_figure(make_clustering({1: ["t0", "t1"], 2: ["t2"]}), name)
    figure.canvas.draw()
    title = figure.axes[0].title
    box, image = title.get_window_extent(), figure.bbox
    assert image.x0 <= box.x0 and box.x1 <= image.x1 and box.y1 <= image.y1
    assert title.get_text().replace("\n", "").replace(" ", "") == name.replace(" ", "")


@pytest.mark.parametrize(
    ("separation", "words"),
    [("well separated", "they are distinct groups"), ("overlapping tendencies", "not as separate groups")],
)
def test_a_clustered_page_says_how_separated_its_clusters_are(separation, words):
    clustering = dataclasses.replace(make_clustering({1: ["t0"], 2: ["t1"]}), separation=separation)
    page = render(make_tracks(2), clustering)
    assert f"How distinct the clusters are: {separation} (silhouette 0.41, on a scale of -1 to 1); " in page
    assert words in page
    assert "How distinct" not in render(make_tracks(2), make_clustering({1: ["t0", "t1"]}))


def test_the_coverage_line_says_when_a_playlist_is_heard_through_previews_and_why_tracks_have_no_sound():
    tracks = make_tracks(5)
    features = make_features(tracks.index)
    features.attrs[ASKED_OF_PROVIDERS] = {"reccobeats": (2, 5), "previews": (2, 5)}
    features.attrs[PROVIDER_MISSES] = {"previews": {"t3": "no preview", "t4": "timed out"}}
    features.attrs[AUDIO_SPACE] = PREVIEW_SCALE
    page = render_clusters_page(
        playlist=PLAYLIST, tracks=tracks, features=features, clustering=not_clustered("too few"), liked=frozenset(),
        image_link=None, skipped={},
    )
    assert page.endswith(
        " · audio: the sound of 30-second previews (Spotify-scale features for 2 of 5 tracks, under 90%);"
        " reccobeats 2 of 5, preview analysis 2 of 5 (no preview 1, timed out 1)\n"
    )
