"""The page as the Dagster UI's markdown preview can show it.

The UI's renderer drops raw HTML (``<img>``, ``<details>``) and cannot resolve relative links, so the preview
drops the scatter and the link to the map, shows album art as (small) markdown images and lists the rest of each cluster in
the same table, after a row naming how many more tracks follow. The page on disk is unchanged.
"""

from __future__ import annotations

import html
import re

from playlist_assets.render.markdown import MAP_LINK_TEXT, SCATTER_ALT, TABLE_HEADER, TABLE_SEPARATOR

_ART = re.compile(r'<img src="([^"]*)" alt="" width="50" />')
#: Spotify's image CDN names an album cover's 640 px and 64 px versions by these prefixes of the image id; the
#: preview cannot size an image, so it shows the 64 px one (other addresses are kept as they are).
_COVER_640, _COVER_64 = "i.scdn.co/image/ab67616d0000b273", "i.scdn.co/image/ab67616d00004851"
_REST = re.compile(
    r"\n\n<details><summary>([^<]*)</summary>\n\n"
    + re.escape(f"{TABLE_HEADER}\n{TABLE_SEPARATOR}\n")
    + r"(.*?)\n\n</details>",
    re.DOTALL,
)
_COLUMNS = TABLE_HEADER.count("|") - 1


def _titled_row(title: str) -> str:
    """A table row holding only ``title``, in bold, in the Track column."""
    return "| |" + f" **{title}** |" + " |" * (_COLUMNS - 2)


def ui_preview(page: str) -> str:
    """``page`` without its scatter and map link, with markdown images for album art and each cluster in one table."""
    title, _, rest = page.partition("\n\n")
    for relative in (f"![{SCATTER_ALT}](", f"[{MAP_LINK_TEXT}]("):
        if rest.startswith(relative):
            rest = rest.partition("\n\n")[2]
    rest = _ART.sub(lambda found: f"![]({html.unescape(found[1]).replace(_COVER_640, _COVER_64)})", rest)
    rest = _REST.sub(lambda found: f"\n{_titled_row(found[1])}\n{found[2]}", rest)
    return f"{title}\n\n{rest}"
