import os
import subprocess
import sys

import dagster as dg

from playlist_assets.definitions import defs as project_definitions
from playlist_assets.instance_storage import EVENT_BATCH_SIZE

defs = project_definitions()


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_graph_is_the_designed_lineage():
    graph = defs.resolve_asset_graph()
    upstream = {key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys} for key in graph.get_all_asset_keys()}
    assert upstream == {
        "liked_tracks": set(),
        "raw_tracks": set(),
        "track_features": {"raw_tracks"},
        "track_clusters": {"raw_tracks", "track_features"},
        "clusters_scatter": {"raw_tracks", "track_clusters"},
        "clusters_map": {"raw_tracks", "track_features", "track_clusters"},
        "clusters_page": {
            "raw_tracks", "track_features", "track_clusters", "clusters_scatter", "clusters_map", "liked_tracks"
        },
        "library_map": {"clusters_page"},
        "playlists_index": {"clusters_page", "library_map"},
    }


def test_playlist_assets_are_partitioned_by_playlist_id():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        if key.to_user_string() in ("liked_tracks", "library_map", "playlists_index"):
            assert partitions is None
        else:
            assert isinstance(partitions, dg.DynamicPartitionsDefinition) and partitions.name == "playlists"


#: Imports the code location with Dagster's beta and preview notes made errors, then says what changed.
IMPORT_ONLY = """
import os, warnings
import dagster as dg
warnings.simplefilter("error", dg.BetaWarning)
warnings.simplefilter("error", dg.PreviewWarning)
filters, environment = list(warnings.filters), dict(os.environ)
import playlist_assets.definitions
print(warnings.filters == filters, dict(os.environ) == environment)
playlist_assets.definitions.defs()
print(os.environ.get("DAGSTER_EVENT_BATCH_SIZE"))
"""


def test_importing_the_code_location_changes_nothing_and_loading_it_asks_for_batches_of_events():
    environment = {name: value for name, value in os.environ.items() if name != "DAGSTER_EVENT_BATCH_SIZE"}
    done = subprocess.run([sys.executable, "-c", IMPORT_ONLY], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", EVENT_BATCH_SIZE]
