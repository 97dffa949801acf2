import dagster as dg

from playlist_assets.definitions import defs


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_graph_is_the_designed_lineage():
    graph = defs.resolve_asset_graph()
    upstream = {key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys} for key in graph.get_all_asset_keys()}
    assert upstream == {
        "liked_tracks": set(),
        "raw_tracks": set(),
        "track_features": {"raw_tracks"},
        "track_clusters": {"track_features"},
        "clusters_scatter": {"raw_tracks", "track_clusters"},
        "clusters_page": {"raw_tracks", "track_features", "track_clusters", "clusters_scatter", "liked_tracks"},
        "playlists_index": {"clusters_page"},
    }


def test_playlist_assets_are_partitioned_by_playlist_id():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        if key.to_user_string() in ("liked_tracks", "playlists_index"):
            assert partitions is None
        else:
            assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "playlists"
