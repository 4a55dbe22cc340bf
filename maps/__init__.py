"""The leadership map of analysis results: every park's parcels by status, offline, one page.

- :func:`write_standalone_html` / :func:`cli_map`: one self-contained HTML file (data and every
  script, style and image inlined) that opens from a USB stick with no server.
- :func:`render_map`: the folium map itself, from result frames.
- :func:`render_served_page` / :func:`mount_map`: ``GET /map`` on the API, drawing big results
  from its vector tiles; :func:`static_files` serves the page's assets.

Results without any geometry (ledgers alone) give the summary panel and a ranked table of the
parcels to act on (:mod:`maps.actions`) with how to add a parcel layer; parcels not drawn are
listed the same way. The panel groups parcels by park, else region
(:func:`landuse.grouping.group_names`), and keeps confirmed and would-apply amounts apart.

Leaflet comes from the ``xstatic-leaflet`` package and the page's own scripts from
``maps/static``; nothing is loaded from a CDN. Text from the data is escaped on the server
(``html.escape``) and set with ``textContent`` in the browser; JSON in ``<script>`` has ``<``,
``>`` and ``&`` escaped.
"""

from typing import Any

from maps.assets import assets_dirs, static_files
from maps.basemap import Basemap
from maps.mount import DEFAULT_TILE_THRESHOLD, mount_map
from maps.palette import STATUS_COLOURS

#: Imported from :mod:`maps.render` when first used (folium and the page's libraries are
#: loaded then, not by a service that only mounts the map).
_RENDER = ("cli_map", "page_html", "render_map", "render_served_page", "write_standalone_html")


def __getattr__(name: str) -> Any:
    if name in _RENDER:
        from maps import render

        return getattr(render, name)
    raise AttributeError(f"module 'maps' has no attribute {name!r}")


__all__ = [
    "DEFAULT_TILE_THRESHOLD",
    "STATUS_COLOURS",
    "Basemap",
    "assets_dirs",
    "cli_map",
    "mount_map",
    "page_html",
    "render_map",
    "render_served_page",
    "static_files",
    "write_standalone_html",
]
