"""A chain of feature providers: each track takes the first provider that has it; metadata places the rest.

Preview analysis, the last audio provider, measures on another scale than the others: it is asked (for every
track) only when the others' Spotify-scale features may be too few, and the chain keeps one scale
(``analysis.placement.audio_space``).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import PrivateAttr

from playlist_assets.analysis.placement import PREVIEW_SCALE, SPOTIFY_SCALE, audio_space, previews_wanted
from playlist_assets.analysis.vocabulary import PREVIEW_COLUMNS
from playlist_assets.cache import JsonCache
from playlist_assets.features.base import FeatureProvider
from playlist_assets.features.deezer import LASTING_MISSES
from playlist_assets.features.metadata import METADATA_SOURCE, MetadataFeatures
from playlist_assets.features.unreachable import UNREACHED, ServiceUnreachable
from playlist_assets.model import ASKED_OF_PROVIDERS, AUDIO_SPACE, PROVIDER_MISSES, UNREACHED_TRACKS, WHY_MISSING
from playlist_assets.sources.web_api import AUDIO_FEATURE_COLUMNS

#: The provider slots of a chain, in their default order: Spotify's own numbers (live, then as exported)
#: before ReccoBeats's re-analysis, so that a playlist's numbers come from one analysis where they can;
#: the descriptors of previews last.
PROVIDER_SLOTS = ("spotify", "export", "reccobeats", "previews")

#: Slots whose answers are kept in the feature cache (the ones that cost a request).
CACHED_SLOTS = ("spotify", "reccobeats", "previews")

#: The slot on the preview scale.
PREVIEW_SLOT = "previews"

#: Largest share of a playlist's tracks a provider that cannot be reached may leave unplaced; beyond it the
#: playlist fails (``ServiceUnreachable``) and keeps its page rather than be clustered without them.
MOST_UNREACHED_SHARE = 0.1


class FeatureChain(FeatureProvider):
    """Asks the providers in ``order`` (names of the slots that are set), each for the tracks no earlier one had.

    ``metadata`` adds release year, duration, explicit and popularity to every track, and gives
    ``source = "metadata"`` to tracks no provider had, so that every track can still be placed.
    Answers of the Spotify and ReccoBeats slots are cached by track id in ``cache_dir`` (default: the
    instance's storage folder, ``feature_cache/``): found features for ``max_age_days``, "not found" for
    ``absent_max_age_days`` (0: not cached), so a track in many playlists is asked for once. Preview
    descriptors are kept for ``preview_max_age_days`` (audio does not change), a lasting miss (not on Deezer,
    no preview) for ``preview_absent_max_age_days``; a timeout or an error is asked again next time. A provider
    that cannot be reached leaves its tracks unplaced, with the reason, when they are at most
    ``MOST_UNREACHED_SHARE`` of the playlist; otherwise the playlist fails.
    """

    spotify: FeatureProvider | None = None
    export: FeatureProvider | None = None
    reccobeats: FeatureProvider | None = None
    previews: FeatureProvider | None = None
    order: list[str] = list(PROVIDER_SLOTS)
    metadata: bool = True
    cache_dir: str = ""
    max_age_days: float = 90.0
    absent_max_age_days: float = 7.0
    preview_max_age_days: float = 36_500.0
    preview_absent_max_age_days: float = 30.0

    _instance_cache: Path | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.instance is not None:
            self._instance_cache = Path(context.instance.storage_directory()) / "feature_cache"

    def features(self, tracks: pd.DataFrame) -> pd.DataFrame:
        """The features; ``attrs[ASKED_OF_PROVIDERS]`` says, per provider, how many tracks it knew of those asked,
        ``attrs[PROVIDER_MISSES]`` why preview analysis had none, ``attrs[AUDIO_SPACE]`` the scale kept."""
        remaining = tracks
        answers, asked, misses = [], {}, {}
        providers = self._providers()
        for slot, provider in providers:
            if remaining.empty or slot == PREVIEW_SLOT:
                continue
            answer = self._ask(slot, provider, remaining, len(tracks))
            answers.append(answer)
            unreached = answer.attrs.get(WHY_MISSING, {})  # said only of tracks the provider could not be reached for
            if unreached:
                misses[slot] = unreached
            asked[slot] = (len(answer.index.intersection(remaining.index)), len(remaining) - len(unreached))
            remaining = remaining.loc[~remaining.index.isin(answer.index)]
        spotify_scale = len(tracks) - len(remaining)
        space = SPOTIFY_SCALE if spotify_scale else None
        previews = dict(providers).get(PREVIEW_SLOT)
        if previews is not None and len(tracks) and previews_wanted(spotify_scale, len(tracks)):
            answer = self._ask(PREVIEW_SLOT, previews, tracks, len(tracks))
            asked[PREVIEW_SLOT] = (len(answer), len(tracks))
            misses[PREVIEW_SLOT] = answer.attrs.get(WHY_MISSING, {})
            if audio_space(spotify_scale, len(answer), len(tracks)) == PREVIEW_SCALE:
                answers, space = [answer], PREVIEW_SCALE
        measured = _combined(answers)
        if not self.metadata:
            chained = measured.reindex(tracks.index[tracks.index.isin(measured.index)])
        else:
            metadata = MetadataFeatures().features(tracks)
            chained = measured.drop(columns="source").reindex(tracks.index).join(metadata.drop(columns="source"))
            chained = chained.assign(source=measured["source"].reindex(tracks.index).fillna(METADATA_SOURCE))
        chained.attrs.clear()
        chained.attrs[ASKED_OF_PROVIDERS] = asked
        if misses:
            chained.attrs[PROVIDER_MISSES] = misses
        unreached = {i for by_track in misses.values() for i, why in by_track.items() if why.endswith(UNREACHED)}
        if without_audio := unreached - set(measured.index):
            chained.attrs[UNREACHED_TRACKS] = len(without_audio)
        if space:
            chained.attrs[AUDIO_SPACE] = space
        return chained

    def _providers(self) -> list[tuple[str, FeatureProvider]]:
        unknown = sorted(set(self.order) - set(PROVIDER_SLOTS))
        if unknown:
            raise ValueError(f"FeatureChain order names unknown providers {unknown}; known: {list(PROVIDER_SLOTS)}")
        slots = dict.fromkeys(self.order)
        return [(slot, getattr(self, slot)) for slot in slots if getattr(self, slot) is not None]

    def _ask(self, slot: str, provider: FeatureProvider, tracks: pd.DataFrame, playlist_size: int) -> pd.DataFrame:
        """The provider's answer for ``tracks`` (of a playlist of ``playlist_size``), through the cache for the
        cached slots; ``attrs[WHY_MISSING]``: why tracks have none, when it says."""
        root = Path(self.cache_dir) if self.cache_dir else self._instance_cache
        if slot not in CACHED_SLOTS or root is None:
            return _reached(provider, tracks, playlist_size)
        preview = slot == PREVIEW_SLOT
        found_age = self.preview_max_age_days if preview else self.max_age_days
        absent_age = self.preview_absent_max_age_days if preview else self.absent_max_age_days
        found_cache = JsonCache(root / f"{slot}.sqlite", found_age)
        absent_cache = JsonCache(root / f"{slot}_absent.sqlite", absent_age)
        ids = list(tracks.index)
        known = found_cache.get_many(ids)
        if preview:  # descriptors measured before a column was added are measured again
            known = {track_id: row for track_id, row in known.items() if set(PREVIEW_COLUMNS) <= set(row)}
        absent = absent_cache.get_many(ids) if absent_age > 0 else {}
        to_ask = [track_id for track_id in ids if track_id not in known and track_id not in absent]
        answers = [pd.DataFrame.from_dict(known, orient="index")]
        misses = {track_id: reason for track_id, reason in absent.items() if isinstance(reason, str)}
        if to_ask:
            answer = _reached(provider, tracks.loc[to_ask], playlist_size)
            found_cache.put_many(answer.to_dict(orient="index"))
            new_misses = answer.attrs.get(WHY_MISSING, {})
            if absent_age > 0:  # remembered: a preview's lasting miss; any other miss but "could not be reached"
                reasons = {i: new_misses.get(i, True) for i in to_ask if i not in answer.index}
                lasting = {i: r for i, r in reasons.items() if (r in LASTING_MISSES if preview else r is True)}
                absent_cache.put_many(lasting)
            answers.append(answer)
            misses |= new_misses
        combined = _combined(answers)
        combined.attrs[WHY_MISSING] = misses
        return combined


def _reached(provider: FeatureProvider, tracks: pd.DataFrame, playlist_size: int) -> pd.DataFrame:
    """``provider.features(tracks)``; when the provider cannot be reached and ``tracks`` are at most
    ``MOST_UNREACHED_SHARE`` of the playlist, no features, ``attrs[WHY_MISSING]`` saying why."""
    try:
        return provider.features(tracks)
    except ServiceUnreachable as error:
        if len(tracks) > MOST_UNREACHED_SHARE * playlist_size:
            raise
        answer = _combined([])
        answer.attrs[WHY_MISSING] = dict.fromkeys(tracks.index, error.reason)
        return answer


def _combined(answers: list[pd.DataFrame]) -> pd.DataFrame:
    """The answers stacked, audio columns first in their usual order, then other columns by name, then ``source``."""
    answers = [answer for answer in answers if not answer.empty]
    if not answers:
        return pd.DataFrame({"source": pd.Series(dtype="str")}, index=pd.Index([], name="track_id", dtype="str"))
    stacked = pd.concat(answers)
    stacked.attrs.clear()
    numbers = [column for column in stacked.columns if column != "source"]
    ordered = [c for c in AUDIO_FEATURE_COLUMNS if c in numbers] + sorted(set(numbers) - set(AUDIO_FEATURE_COLUMNS))
    stacked.index.name = "track_id"
    return stacked[[*ordered, "source"]].astype({column: float for column in ordered})
