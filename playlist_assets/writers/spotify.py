"""The clusters written back to Spotify as private playlists, kept in place (see docs/publishing.md).

``publish`` carries out ``publishing.plan`` through the project's Spotify client and records every write in the
instance (``publish_state``) as soon as Spotify confirmed it. It writes only to playlists it created; a creation
is announced in the instance (a token that goes into the playlist's description) before it is asked for, so that
a run that dies in between adopts the playlist next time instead of making another. A write that may have
happened is not blindly repeated: a creation is looked for by its token first, an uncertain append is followed by
the whole list written again (PUT, then POSTs). A long 429 stops the writes and is kept like the reads' (see
``rate_limit``); a login without the write scope writes nothing and says to log in again.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.model import PlaylistInfo
from playlist_assets.publishing import (
    Create,
    DesiredCluster,
    Plan,
    PublishedCluster,
    Retire,
    Update,
    chunks,
    description,
    plan,
)
from playlist_assets.sources import web_api
from playlist_assets.sources.spotify_client import (
    SpotifyClient,
    SpotifyRateLimited,
    SpotifyRefused,
    SpotifyUncertainWrite,
    SpotifyUnavailable,
)
from playlist_assets.writers import publish_state

#: Values of PLAYLIST_ASSETS_PUBLISH: nothing, the plan only, or the plan carried out on Spotify.
PUBLISH_MODES = ("off", "dry-run", "spotify")

#: The one line said when Spotify refuses writes for want of the scope.
READ_ONLY = "Spotify does not let this login write playlists: run ./run.sh login again to allow writing playlists"

log = dg.get_dagster_logger(__name__)


class WritingNotAllowed(RuntimeError):
    """The token lacks ``playlist-modify-private``: nothing was written."""


def publish_mode(environ: Mapping[str, str] = os.environ) -> str:
    """PLAYLIST_ASSETS_PUBLISH, ``off`` when unset; a ``ValueError`` naming the choices for anything else."""
    mode = environ.get("PLAYLIST_ASSETS_PUBLISH", "").strip() or "off"
    if mode not in PUBLISH_MODES:
        raise ValueError(f"PLAYLIST_ASSETS_PUBLISH={mode!r}: use one of {', '.join(PUBLISH_MODES)}")
    return mode


@dataclass(frozen=True)
class Published:
    """What ``publish`` did for one playlist."""

    plan: Plan
    writes: int  # write requests sent (retries by the client not counted)
    playlist_ids: dict[int, str]  # cluster -> its Spotify playlist, as published now
    adopted: int  # playlists created by a run that died before recording them, found again by their token


def dry_run(instance: dg.DagsterInstance, playlist: PlaylistInfo, desired: Mapping[int, DesiredCluster]) -> Plan:
    """What ``publish`` would write, without any request (a creation not yet confirmed counts as one to make)."""
    return plan(playlist, desired, publish_state.load(instance, playlist.id))


def publish(
    instance: dg.DagsterInstance,
    client: SpotifyClient,
    playlist: PlaylistInfo,
    desired: Mapping[int, DesiredCluster],
) -> Published:
    """Make Spotify hold one private playlist per cluster of ``desired`` (none: unfollow those there were).

    Raises ``WritingNotAllowed`` (nothing written) for a login without the write scope, ``SpotifyRateLimited``
    (kept in the instance) for a long 429; everything written before an error is recorded.
    """
    rate_limit.check(instance)
    publisher = _Publisher(instance, client, playlist)
    try:
        return publisher.run(desired)
    except SpotifyRateLimited as error:
        rate_limit.remember(instance, error.until)
        raise
    except SpotifyRefused as refusal:
        if refusal.status == 403 and "scope" in str(refusal).lower():
            raise WritingNotAllowed(READ_ONLY) from None
        raise


class _Publisher:
    def __init__(self, instance: dg.DagsterInstance, client: SpotifyClient, playlist: PlaylistInfo):
        self.instance, self.client, self.playlist = instance, client, playlist
        self.root = client.spotify.prefix.rstrip("/")
        self.state = publish_state.load(instance, playlist.id)
        self.created = set(publish_state.created_playlist_ids(instance))
        self.writes = self.adopted = 0

    def run(self, desired: Mapping[int, DesiredCluster]) -> Published:
        if self.state.pending:
            self._adopt_pending()
        todo = plan(self.playlist, desired, self.state)
        for action in todo.actions:
            try:
                if isinstance(action, Create):
                    self._create(action)
                elif isinstance(action, Update):
                    self._update(action)
                else:
                    self._retire(action)
            except SpotifyRefused as refusal:
                if refusal.status != 404 or isinstance(action, Create):
                    raise
                self._gone(action, desired)
        if self.state.snapshot_id != self.playlist.snapshot_id:
            self._save(snapshot_id=self.playlist.snapshot_id)
        ids = {cluster: written.playlist_id for cluster, written in self.state.clusters.items()}
        return Published(todo, self.writes, ids, self.adopted)

    def _create(self, action: Create) -> None:
        token = secrets.token_hex(8)
        self._save(pending={**self.state.pending, action.cluster: token})  # before asking: see the module's doc
        text = description(self.playlist, action.cluster, token)
        body = {"name": action.name, "description": text, "public": False}
        playlist_id, uncertain = None, False
        for _ in range(self.client.max_attempts):
            try:
                playlist_id = self._write("POST", f"{self.root}/me/playlists", body, repeatable=False).get("id")
            except SpotifyUncertainWrite as error:
                log.warning("%s; looking for the playlist it may have created", error)
                uncertain = True
                playlist_id = self._find_by_tokens({token: action.cluster}).get(action.cluster, {}).get("id")
            except (SpotifyRefused, RuntimeError):  # 403, 400, a long 429, no login
                if not uncertain:  # Spotify said no, and never maybe: nothing was made
                    self._save(pending=_without(self.state.pending, action.cluster))
                raise
            if isinstance(playlist_id, str) and playlist_id:
                break
        else:  # the token stays pending: the next run looks for it again
            raise SpotifyUnavailable(f"Spotify did not confirm creating “{action.name}”; the next run looks again")
        self._adopt(playlist_id)
        self._record(action.cluster, PublishedCluster(playlist_id, action.name, text, token, None))
        self._fill(action.cluster, action.uris)

    def _update(self, action: Update) -> None:
        if action.uris is not None:
            self._fill(action.cluster, action.uris)
        if action.details:
            body = {"name": action.name, "description": action.description}
            self._write("PUT", self._playlist_url(action.playlist_id), body, repeatable=True)
            written = self.state.clusters[action.cluster]
            self._record(action.cluster, dataclasses.replace(written, name=action.name, description=action.description))

    def _retire(self, action: Retire) -> None:
        self._write("DELETE", self._playlist_url(action.playlist_id, "/followers"), None, repeatable=True)
        self._save(clusters=_without(self.state.clusters, action.cluster))

    def _fill(self, cluster: int, uris: tuple[str, ...]) -> None:
        """The playlist's whole list made ``uris``: one PUT, then POSTs; all again after an uncertain POST."""
        written = self.state.clusters[cluster]
        url = self._playlist_url(written.playlist_id, "/items")
        self._record(cluster, dataclasses.replace(written, uris=None))  # not known until all is written
        first, *rest = chunks(uris)
        for _ in range(self.client.max_attempts):
            self._write("PUT", url, {"uris": list(first)}, repeatable=True)
            try:
                for chunk in rest:
                    self._write("POST", url, {"uris": list(chunk)}, repeatable=False)
            except SpotifyUncertainWrite as error:
                log.warning("%s; writing the whole list again", error)
                continue
            self._record(cluster, dataclasses.replace(written, uris=uris))
            return
        raise SpotifyUnavailable(f"Spotify did not confirm the tracks of “{written.name}”; the next run writes them")

    def _gone(self, action: Update | Retire, desired: Mapping[int, DesiredCluster]) -> None:
        """The playlist was deleted for good (404): forgotten, and made again when its cluster is still there."""
        log.warning("“%s” is gone from Spotify (404)", action.name)
        self._save(clusters=_without(self.state.clusters, action.cluster))
        if isinstance(action, Update):
            self._create(Create(action.cluster, action.name, desired[action.cluster].uris))

    def _adopt_pending(self) -> None:
        """Creations announced by a run that died: the playlists carrying their tokens are ours; the rest never were."""
        found = self._find_by_tokens({token: cluster for cluster, token in self.state.pending.items()})
        clusters = dict(self.state.clusters)
        for cluster, document in found.items():
            self._adopt(document["id"])
            token = self.state.pending[cluster]
            name = document.get("name") or ""
            clusters[cluster] = PublishedCluster(document["id"], name, "", token, None)
            self.adopted += 1
            log.info("Found “%s”, created by a run that stopped before recording it", name)
        self._save(clusters=clusters, pending={})

    def _adopt(self, playlist_id: str) -> None:
        """``playlist_id`` joins the playlists created by this project (and only those are written to)."""
        publish_state.record_created(self.instance, playlist_id)
        self.created.add(playlist_id)

    def _find_by_tokens(self, tokens: dict[str, int]) -> dict[int, dict]:
        """Cluster -> the playlist of the user's listing whose description carries its token (one read of it)."""
        found = {}
        for document in web_api.iter_pages(self.client.get_json, f"{self.root}/me/playlists?limit={web_api.PAGE_LIMIT}"):
            text = (document or {}).get("description") or ""
            for token, cluster in tokens.items():
                if f"[{token}]" in text and isinstance(document.get("id"), str):
                    found[cluster] = document
        return found

    def _playlist_url(self, playlist_id: str, rest: str = "") -> str:
        """A URL of one of the playlists this project created; any other is never written to."""
        if playlist_id not in self.created:
            raise RuntimeError(f"Spotify playlist {playlist_id} was not created by playlist_assets: not writing to it")
        return f"{self.root}/playlists/{playlist_id}{rest}"

    def _write(self, method: str, url: str, body: dict | None, repeatable: bool) -> dict:
        self.writes += 1
        return self.client.write(method, url, body, repeatable=repeatable) or {}

    def _record(self, cluster: int, written: PublishedCluster) -> None:
        if self.state.clusters.get(cluster) == written and cluster not in self.state.pending:
            return
        self._save(clusters={**self.state.clusters, cluster: written}, pending=_without(self.state.pending, cluster))

    def _save(self, **changes) -> None:
        self.state = dataclasses.replace(self.state, **changes)
        publish_state.save(self.instance, self.playlist.id, self.state)


def _without(mapping: dict, key) -> dict:
    return {k: v for k, v in mapping.items() if k != key}
