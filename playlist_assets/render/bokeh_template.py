"""Bokeh pages made once per shape and filled per map (pure: values in, HTML text out).

Bokeh spends tens of milliseconds building and serialising its models, whatever the data. A ``PageTemplate`` has
Bokeh draw a page once, with a marker in place of each value that changes from one map to the next (texts, data
columns, colours, a renderer's points); filling it writes each value as Bokeh would have written it, with the
standard json module, so that a filled template gives the same bytes as Bokeh drawing those values itself. A
template can also leave out models (``without``): a page of fewer renderers, the same as Bokeh's but for the ids.
"""

from __future__ import annotations

import base64
import enum
import gzip
import html
import json
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

import numpy as np
from bokeh.core.templates import get_env
from bokeh.embed import file_html
from bokeh.models import LayoutDOM
from bokeh.resources import CDN
from bokeh.settings import settings
from bokeh.util import serialization

_IDS_LOCK = threading.Lock()
_HTML_TEXT = get_env().from_string("{{ text | e }}")  # as Bokeh's page template writes its variables


def repeatable(render: Callable[..., str]) -> Callable[..., str]:
    """``render`` with Bokeh's model ids and document ids counted from the same start at every call, so that the
    same data gives the same bytes (Bokeh numbers models from a process-wide counter and ids documents by uuid4)."""

    class _CountedUuids:
        def __init__(self) -> None:
            self.issued = 0

        def uuid4(self) -> uuid.UUID:
            self.issued += 1
            return uuid.UUID(int=self.issued, version=4)

    @wraps(render)
    def repeatable_render(*args, **kwargs) -> str:
        with _IDS_LOCK:
            saved = serialization._simple_id, serialization.uuid
            serialization._simple_id, serialization.uuid = 999, _CountedUuids()
            try:
                return render(*args, **kwargs)
            finally:
                serialization._simple_id, serialization.uuid = saved

    return repeatable_render


class Slot(enum.Enum):
    """What a template's value is, which says how Bokeh writes it and what marks its place."""

    PAGE_TEXT = "text in the page's HTML (its title, a link)"
    TEXT = "a string in the embedded JSON"
    COLOUR = "a colour (#rrggbb) in the embedded JSON"
    STRINGS = "a list of strings in the embedded JSON: a text column"
    INDICES = "a list of integers in the embedded JSON"
    NUMBERS = "a float32 array in the embedded JSON: a number column"

    def marker(self, number: int) -> Any:
        """A value Bokeh accepts here, written in a way no other part of a page is."""
        if self is Slot.COLOUR:
            return f"#{0xC0FF00 + number:06x}"
        if self is Slot.INDICES:
            return [-1000 - number]
        if self is Slot.NUMBERS:
            return np.array([number + 0.5], dtype="float32")
        text = f"\x00slot{number}\x00"
        return [text] if self is Slot.STRINGS else text

    def written(self, value: Any) -> str:
        """``value`` as Bokeh writes it in a page."""
        if self is Slot.PAGE_TEXT:
            return _HTML_TEXT.render(text=value)
        if self is Slot.NUMBERS:
            value = _ndarray(np.ascontiguousarray(value, dtype="float32"))
        return html.escape(_json(value), quote=False)


def _ndarray(array: np.ndarray) -> dict:
    """Bokeh's representation of a number array: its bytes compressed, in base64."""
    data = gzip.compress(array.tobytes(), mtime=1, compresslevel=settings.compression_level())
    return {
        "type": "ndarray",
        "array": {"type": "bytes", "data": base64.b64encode(data).decode()},
        "shape": list(array.shape),
        "dtype": array.dtype.name,
        "order": sys.byteorder,
    }


#: The page values every template has: its title and its link to the shared copy of BokehJS.
PAGE_SLOTS = {"page_title": Slot.PAGE_TEXT, "script_src": Slot.PAGE_TEXT}
#: A map's page: Bokeh's own, with the shared script in place of Bokeh's links to its CDN.
_PAGE = get_env().from_string(
    '{% extends "file.html.jinja" %}{% block css_resources %}{% endblock %}'
    '{% block js_resources %}<script src="{{ script_src | e }}"></script>{% endblock %}'
)


def html_page(layout: LayoutDOM, values: Mapping[str, Any]) -> str:
    """The HTML page of ``layout`` with the ``PAGE_SLOTS``' values."""
    variables = {"script_src": values["script_src"]}
    return file_html(layout, resources=CDN, title=values["page_title"], template=_PAGE, template_variables=variables)


class PageTemplate:
    """A page drawn by Bokeh with a marker for each of its ``slots``' values, to be filled with values."""

    def __init__(self, drawn_page: str, slots: Mapping[str, Slot], markers: Mapping[str, Any]):
        """``drawn_page`` as Bokeh drew it with the ``markers`` (one per slot) as values."""
        self.page, self.slots, self.markers = drawn_page, dict(slots), dict(markers)
        written = {self.slots[name].written(markers[name]): name for name in self.slots}
        parts = re.split("(" + "|".join(map(re.escape, written)) + ")", drawn_page)
        self._texts, self._names = parts[::2], [written[marker] for marker in parts[1::2]]
        missing = set(self.slots) - set(self._names)
        if missing:
            raise ValueError(f"Bokeh wrote the page without a place for {', '.join(sorted(missing))}")

    @classmethod
    def drawn(cls, draw: Callable[[Mapping[str, Any]], str], slots: Mapping[str, Slot]) -> PageTemplate:
        """The page ``draw(values)`` gives with a marker for each of ``slots`` (name: kind)."""
        markers = {name: kind.marker(number) for number, (name, kind) in enumerate(slots.items())}
        return cls(repeatable(draw)(markers), slots, markers)

    def without(self, slots: Iterable[str]) -> PageTemplate:
        """The page without the models holding the values of ``slots`` (texts, colours, indices): in each list,
        the innermost model holding one (a renderer, a legend item), and every reference to them."""
        slots = set(slots)
        gone = {marker[0] if isinstance(marker, list) else marker for marker in map(self.markers.get, slots)}
        [(start, embedded, end)] = _EMBEDDED.findall(self.page)
        document = json.loads(html.unescape(embedded))
        removed: set[str] = set()
        if _leave_out(document, gone, removed) or not _drop_references(document, removed):
            raise ValueError(f"the page's models holding {', '.join(sorted(slots))} could not be taken out whole")
        page = self.page.replace(start + embedded + end, start + html.escape(_json(document), quote=False) + end)
        kept = {name: kind for name, kind in self.slots.items() if name not in slots}
        return PageTemplate(page, kept, {name: self.markers[name] for name in kept})

    def fill(self, values: Mapping[str, Any]) -> str:
        """The page with ``values`` (one per slot) in place of the markers: what ``draw(values)`` gives."""
        written = {name: kind.written(values[name]) for name, kind in self.slots.items()}
        return "".join(text + written[name] for text, name in zip(self._texts, self._names)) + self._texts[-1]


_EMBEDDED = re.compile(r'(<script type="application/json" id="[^"]+">\s*)(.*?)(\s*</script>)', re.S)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def _leave_out(node: Any, gone: set, removed: set[str]) -> bool:
    """Take out of ``node``'s lists, innermost first, the models holding one of the values ``gone``, noting their
    ids in ``removed``; whether ``node`` still holds one."""
    if isinstance(node, dict):
        return any([_leave_out(value, gone, removed) for value in node.values()])
    if not isinstance(node, list):
        return isinstance(node, str | int) and node in gone
    holding = [_leave_out(item, gone, removed) for item in node]
    taken = [holds and isinstance(item, dict) and "id" in item for item, holds in zip(node, holding)]
    removed.update(item["id"] for item, take in zip(node, taken) if take)
    node[:] = [item for item, take in zip(node, taken) if not take]
    return any(holds and not take for holds, take in zip(holding, taken))


def _drop_references(document: Any, removed: set[str]) -> bool:
    """Take out of the ``document``'s lists the references (``{"id": ...}``) to the models ``removed``; whether
    every model still referred to is defined."""
    defined, referred = set(), set()

    def walk(node: Any) -> None:
        if not isinstance(node, dict | list):
            return
        if isinstance(node, list):
            node[:] = [item for item in node if not (isinstance(item, dict) and _reference(item) in removed)]
        elif node.get("type") == "object":
            defined.add(node["id"])
        elif _reference(node):
            referred.add(node["id"])
        for child in node.values() if isinstance(node, dict) else node:
            walk(child)

    walk(document)
    return referred <= defined


def _reference(node: dict) -> str | None:
    """The id a reference to a model (``{"id": ...}``) refers to; None for anything else."""
    return node["id"] if node.keys() == {"id"} else None
