"""A step over one playlist or several: each playlist built on its own, and a failing playlist failing alone.

See ``playlist_outputs`` and, for the page that says a playlist is done, ``assets.page.clusters_page``.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar, Union

import dagster as dg

from playlist_assets import rate_limit
from playlist_assets.model import PlaylistFailed, PlaylistTracks
from playlist_assets.page_record import CLUSTERS_PAGE, failure_observation
from playlist_assets.sources.spotify_client import SpotifyRateLimited

T = TypeVar("T")

#: A per-playlist value as a step receives it: the playlist's value when the step covers one playlist; when it
#: covers several, a dict by partition key, in which a playlist that failed earlier in the run is its PlaylistFailed.
ByPlaylist = Union[T, dict[str, Union[T, PlaylistFailed]]]


def by_playlist(value_type: type | tuple[type, ...], name: str) -> dg.AssetIn:
    """The input of a ``ByPlaylist[value_type]``, checked as such (Dagster cannot check a Union annotation itself)."""

    def check(_, value: Any) -> bool:
        values = value.values() if isinstance(value, dict) else [value]
        return all(isinstance(one, value_type) or isinstance(one, PlaylistFailed) for one in values)

    return dg.AssetIn(dagster_type=dg.DagsterType(check, name=name, description=f"{name}: one, or by playlist"))


def shaped_as_inputs(keys: Sequence[str], by_key: Mapping[str, T]) -> ByPlaylist[T]:
    """``by_key`` shaped as a step over ``keys`` receives its inputs: the one value, or the dict."""
    return by_key[keys[0]] if len(keys) == 1 else dict(by_key)


def _failure(error: Exception, inputs: dict[str, Any]) -> PlaylistFailed:
    """``error`` as the failure of the playlist whose ``inputs`` (when they include its tracks) name it."""
    tracks = next((value for value in inputs.values() if isinstance(value, PlaylistTracks)), None)
    reason = error.description if isinstance(error, dg.Failure) and error.description else str(error)
    if tracks is None:
        return PlaylistFailed(reason or type(error).__name__)
    return PlaylistFailed(reason or type(error).__name__, tracks.playlist.display_name, tracks.playlist.snapshot_id)


def playlist_results(
    context: dg.AssetExecutionContext,
    build: Callable[..., Any],
    calls_spotify: bool,
    inputs: dict[str, ByPlaylist],
    failures_on: dg.AssetKey = CLUSTERS_PAGE,
) -> Iterator[tuple[str, Any] | dg.AssetObservation]:
    """``(partition key, build(**its inputs))`` for each playlist of the step, or its ``PlaylistFailed``.

    A playlist that failed in an earlier step is passed on without calling ``build``. In a step over one
    playlist, a failure yields its observation (on ``failures_on``: the page, which it keeps from being written)
    and raises (the step fails; its RetryPolicy may try again).
    A rate limit beyond the cap, here or kept from an earlier refresh, stops the calls to Spotify
    (``calls_spotify``, see ``rate_limit.call_spotify``): every playlist not done yet fails with it.
    """
    keys = context.partition_keys
    single = len(keys) == 1
    limited = None
    for key in keys:
        own = {name: value if single else value[key] for name, value in inputs.items()}
        failed = next((value for value in own.values() if isinstance(value, PlaylistFailed)), limited)
        if failed is None:
            try:
                call = partial(build, **own)
                result = rate_limit.call_spotify(context.instance, call) if calls_spotify else call()
            except Exception as error:
                if isinstance(error, SpotifyRateLimited):
                    limited = PlaylistFailed(str(error))
                if single:
                    yield failure_observation(key, _failure(error, own), failures_on)
                    raise
                failed = _failure(error, own)
            else:
                yield key, result
                continue
        if single:
            yield failure_observation(key, failed, failures_on)
            raise dg.Failure(failed.reason, allow_retries=False)
        named = f"{failed.playlist} ({key})" if failed.playlist else key
        context.log.error(f"Playlist {named} failed in {context.asset_key.to_user_string()}: {failed.reason}")
        yield key, failed


def playlist_outputs(
    context: dg.AssetExecutionContext,
    build: Callable[..., tuple[Any, dict]],
    run_totals: Callable[[dict[str, Any]], dict] | None = None,
    calls_spotify: bool = False,
    **inputs: ByPlaylist,
) -> Iterator[dg.Output | dg.AssetObservation]:
    """The step's output: ``build(**a playlist's inputs) -> (value, metadata)`` for each playlist of the step.

    One playlist: its value and metadata. Several: a dict of values by partition key, with each playlist's
    metadata on its own partition; or, when ``run_totals`` is given, ``run_totals(values)`` on the playlists that
    did not fail, as figures over the run (recording per partition costs three instance queries per playlist
    and asset). A playlist that fails is passed on as a ``PlaylistFailed`` with "failed" metadata (see
    ``playlist_results``): Dagster records a step's output for every playlist of the step, so intermediate assets
    are recorded with the failure (their stored value stays the last good one, see ``storage.py``), and
    clusters_page, recorded per playlist, is where it counts.
    """
    values, metadata = {}, {}
    for item in playlist_results(context, build, calls_spotify, inputs):
        if isinstance(item, dg.AssetObservation):
            yield item
            continue
        key, result = item
        values[key], metadata[key] = (result, {"failed": result.reason}) if isinstance(result, PlaylistFailed) else result
    if len(values) == 1:
        [(key, value)] = values.items()
        yield dg.Output(value, metadata=metadata[key])
        return
    done = {key: value for key, value in values.items() if not isinstance(value, PlaylistFailed)}
    for key, playlist_metadata in metadata.items():
        if run_totals is None or key not in done:
            context.add_asset_metadata(playlist_metadata, partition_key=key)
    figures = {**run_totals(done), "run: failed playlists": len(values) - len(done)} if run_totals else None
    yield dg.Output(values, metadata=figures)
