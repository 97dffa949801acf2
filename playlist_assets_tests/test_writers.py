"""The output folder's files: written whole or not at all, and a playlist's folders found by its id."""

from playlist_assets.render import page_path, playlist_slug, scatter_path
from playlist_assets.writers.files import remove_playlist_outputs, write_atomically

PLAYLIST_ID = "37i9dQZF1DX4JAvHpjipBk"


def test_write_atomically_replaces_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a" / "b" / "page.md"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [path.name for path in target.parent.iterdir()] == ["page.md"]


def test_a_playlists_folders_under_every_name_go_except_the_one_kept(tmp_path):
    current, earlier = playlist_slug(PLAYLIST_ID, "After"), playlist_slug(PLAYLIST_ID, "Before")
    other = playlist_slug("0" * 22, "Before")
    for slug in (current, earlier, other):
        write_atomically(page_path(tmp_path, slug), b"page")
        write_atomically(scatter_path(tmp_path, slug), b"png")

    removed = remove_playlist_outputs(tmp_path, PLAYLIST_ID, keep_slug=current)

    assert sorted(removed) == sorted([tmp_path / "playlists" / earlier, tmp_path / "images" / "playlists" / earlier])
    assert page_path(tmp_path, current).exists() and scatter_path(tmp_path, current).exists()
    assert page_path(tmp_path, other).exists() and scatter_path(tmp_path, other).exists()
