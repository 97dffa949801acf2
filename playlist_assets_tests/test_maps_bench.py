"""The maps benchmark, run small: it prints the shared script's size, the demo's maps and a synthetic library's."""

from bench.maps import measure


def test_it_prints_sizes_and_build_times_of_the_demo_and_a_synthetic_library():
    lines = measure(playlists=3, tracks=12)
    report = "\n".join(lines)
    print(report)
    assert lines[0].startswith("shared script bokeh-") and " KB; " in lines[0]
    assert "demo 'International Pop': 99 tracks placed, map " in report and " ms" in report
    assert "demo library map: 1,000 tracks, " in report
    assert "synthetic library, 3 playlists x 12 tracks" in report and "3 playlist maps, median " in report
    assert "synthetic library map: 36 tracks, " in report
    assert "library_map from storage, 3 playlists: read 3 clustered playlists in " in report
