"""What was last published for each playlist, and every playlist playlist_assets created, kept in the instance.

Both live where the daemons keep their cursors, so on Postgres when the instance is, and cost no Spotify request:

- one key of the instance's key-value storage per source playlist (``playlist_assets/published/<id>``): its
  ``PublishState`` as JSON, written after every write to Spotify (a run writes only its own playlists' keys);
- the set of the Spotify playlists this project created, as the keys of the dynamic partitions set
  ``CREATED`` (an atomic set: runs publishing different playlists at once add to it without losing each other's
  ids). It only grows: an unfollowed playlist stays in it, so that one the user restores is still left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import dagster as dg

from playlist_assets.publishing import PublishedCluster, PublishState

#: Prefix of the key of a source playlist's state.
STATE_KEY = "playlist_assets/published/"

#: Name of the dynamic partitions set whose keys are the ids of the Spotify playlists this project created.
CREATED = "playlist_assets_created_playlists"


def load(instance: dg.DagsterInstance, playlist_id: str) -> PublishState:
    """What was last published for ``playlist_id``; an empty state when nothing was."""
    return load_many(instance, [playlist_id]).get(playlist_id, PublishState())


def load_many(instance: dg.DagsterInstance, playlist_ids: Iterable[str]) -> dict[str, PublishState]:
    """The states of those of ``playlist_ids`` that have one, in one query."""
    values = instance.run_storage.get_cursor_values({STATE_KEY + playlist_id for playlist_id in playlist_ids})
    return {key.removeprefix(STATE_KEY): from_json(value) for key, value in values.items()}


def save(instance: dg.DagsterInstance, playlist_id: str, state: PublishState) -> None:
    instance.run_storage.set_cursor_values({STATE_KEY + playlist_id: to_json(state)})


def created_playlist_ids(instance: dg.DagsterInstance) -> frozenset[str]:
    """Ids of every Spotify playlist this project created: never pages, and the only ones it writes to."""
    return frozenset(instance.get_dynamic_partitions(CREATED))


def record_created(instance: dg.DagsterInstance, spotify_playlist_id: str) -> None:
    instance.add_dynamic_partitions(CREATED, [spotify_playlist_id])


def to_json(state: PublishState) -> str:
    clusters = {
        str(cluster): {
            "playlist_id": written.playlist_id,
            "name": written.name,
            "description": written.description,
            "token": written.token,
            "uris": None if written.uris is None else list(written.uris),
        }
        for cluster, written in sorted(state.clusters.items())
    }
    pending = {str(cluster): token for cluster, token in sorted(state.pending.items())}
    return json.dumps({"snapshot_id": state.snapshot_id, "clusters": clusters, "pending": pending})


def from_json(text: str) -> PublishState:
    document = json.loads(text)
    clusters = {
        int(cluster): PublishedCluster(
            playlist_id=written["playlist_id"],
            name=written["name"],
            description=written["description"],
            token=written["token"],
            uris=None if written["uris"] is None else tuple(written["uris"]),
        )
        for cluster, written in document["clusters"].items()
    }
    pending = {int(cluster): token for cluster, token in document["pending"].items()}
    return PublishState(document["snapshot_id"], clusters, pending)
