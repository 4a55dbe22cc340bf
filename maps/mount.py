"""``GET /map`` on a Starlette or FastAPI app: the route and its assets.

Kept apart from :mod:`maps.render` so that mounting the map costs no import of folium and the
page's libraries: a service starts answering before they are loaded (the page itself is built
in the background, or by its first visitor).
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from landuse.errors import InputError
from landuse.source import InvalidQuery, NotFound, ResultsError, ResultsSource
from maps import assets

if TYPE_CHECKING:  # pragma: no cover
    from starlette.applications import Starlette

    from maps.basemap import Basemap

log = logging.getLogger("landuse.maps")

#: Above this many parcels the served page draws parcels from vector tiles.
DEFAULT_TILE_THRESHOLD = 5_000
#: Where :func:`mount_map` serves the assets, relative to ``api_base``.
ASSETS_PATH = "map/assets/"


def _join(base: str, path: str) -> str:
    return (base if base.endswith("/") else base + "/") + path


def mount_map(
    app: Starlette,
    source: Any = None,
    *,
    path: str = "/map",
    api_base: str = "/",
    lang: str = "zh",
    basemap: str | Basemap | None = None,
    tile_threshold: int = DEFAULT_TILE_THRESHOLD,
    prewarm: bool = True,
) -> None:
    """Add ``GET {path}`` (the map page; ``?lang=en`` for English, ``?run=ID`` or
    ``?datetime=DATE`` for an earlier run, ``?compare=ID`` for the run its changes are
    counted from) and the assets under ``{api_base}map/assets/``
    to ``app``.

    ``source``: a :class:`~landuse.source.ResultsSource` or what :func:`results_path_of`
    accepts; default the app's results source (``app.state.source``, the API's), read at each
    request so new results are picked up. ``prewarm``: build the page now in a background
    thread (it is cached per results).
    """
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Mount, Route

    def resolve() -> Any:
        if source is not None:
            return source
        return getattr(app.state, "source", None) or app.state.settings

    async def page(request: Any) -> Any:
        from starlette.concurrency import run_in_threadpool

        from maps.render import render_served_page

        want = request.query_params.get("lang", lang)
        if want not in ("zh", "en"):
            return PlainTextResponse("lang must be zh or en", status_code=400)
        params = request.query_params
        try:
            body = await run_in_threadpool(
                render_served_page,
                resolve(),
                api_base,
                lang=want,
                basemap=basemap,
                tile_threshold=tile_threshold,
                run=params.get("run"),
                datetime=params.get("datetime"),
                lang_param="lang" in params,
                rules=getattr(app.state, "rules", None),
                compare=params.get("compare"),
            )
        except NotFound as exc:
            return PlainTextResponse(str(exc), status_code=404)
        except InvalidQuery as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except (FileNotFoundError, ValueError, ResultsError, InputError) as exc:
            return PlainTextResponse(html.escape(str(exc)), status_code=503)
        return HTMLResponse(body, headers={"Cache-Control": "no-cache"})

    assets_mount = "/" + _join(api_base, ASSETS_PATH).strip("/")
    app.router.routes.append(Route(path, page, methods=["GET"], name="map_page"))
    app.router.routes.append(Mount(assets_mount, app=assets.static_files(), name="map_assets"))
    if prewarm:
        threading.Thread(
            target=_prewarm,
            args=(resolve, api_base, lang, basemap, tile_threshold),
            name="map-prewarm",
            daemon=True,
        ).start()


def _prewarm(
    resolve: Callable[[], Any],
    api_base: str,
    lang: str,
    basemap: str | Basemap | None,
    tile_threshold: int,
) -> None:
    """Build the page once in the background so the first visitor does not wait for it."""
    try:
        from maps.render import render_served_page

        source = resolve()
        if isinstance(source, ResultsSource):
            # after the park outlines the source draws in the background, not beside them:
            # two working sets of a province's parcels at once would double the peak memory
            source.view().park_outlines()
        render_served_page(
            source, api_base, lang=lang, basemap=basemap, tile_threshold=tile_threshold
        )
    except Exception as exc:  # the results may not be there yet: the request will say so
        log.debug("map page not prebuilt: %s", exc)
