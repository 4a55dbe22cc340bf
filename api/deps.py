"""What the routers share: the strict route class, the store and settings of the app, links,
content negotiation and JSON responses."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response

from api.errors import InvalidParameter
from api.features import dumps
from api.settings import Settings
from landuse.source import ResultsSource, ResultsView

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"


class Format(StrEnum):
    """Values of the ``f`` parameter."""

    json = "json"
    html = "html"


class CollectionId(StrEnum):
    """The collections served."""

    parcels = "parcels"
    parks = "parks"
    buildings = "buildings"


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


#: Query parameters every route takes: which run's results to serve. They are kept in every
#: link the service writes, so a client that opened ``/?run=2`` (GDAL keeps the landing page's
#: query on every request it makes) stays on that run.
RUN_PARAMETERS: tuple[str, ...] = ("run", "datetime")


class StrictQueryRoute(APIRoute):
    """A route that answers 400 to query parameters it does not declare, or declares once but
    receives twice, instead of ignoring them (a typo in a filter must not return everything).
    :data:`RUN_PARAMETERS` are accepted everywhere."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = frozenset(_query_names(self.dependant)) | frozenset(RUN_PARAMETERS)

        async def strict(request: Request) -> Response:
            keys = [key for key, _ in request.query_params.multi_items()]
            unknown = sorted({k for k in keys if k not in allowed})
            if unknown:
                known = ", ".join(sorted(allowed)) or "none"
                raise InvalidParameter(
                    f"Unknown query parameter(s) {', '.join(unknown)} for {request.url.path}; "
                    f"the parameters here are: {known}."
                )
            repeated = sorted({k for k in keys if keys.count(k) > 1})
            if repeated:
                raise InvalidParameter(
                    f"Query parameter(s) {', '.join(repeated)} given more than once; give each "
                    "once."
                )
            return await handler(request)

        return strict


def settings_of(request: Request) -> Settings:
    """The settings of the app serving ``request``."""
    settings: Settings = request.app.state.settings
    return settings


@dataclass(frozen=True)
class RunChoice:
    """Which run a request asks for (see :func:`landuse.source.choose_run`)."""

    run: str | None
    datetime: str | None


async def run_choice(
    run: Annotated[
        str | None,
        Query(
            description="Serve this run (an id from /runs) instead of the latest.", examples=["2"]
        ),
    ] = None,
    datetime: Annotated[
        str | None,
        Query(
            description="Serve the run as of this date or earlier (the latest such run): "
            "YYYY-MM-DD or an RFC 3339 date-time.",
            examples=["2025-06-30"],
        ),
    ] = None,
) -> RunChoice:
    return RunChoice(run, datetime)


#: The run parameters, declared (so the OpenAPI document lists them) on a route.
RunQuery = Annotated[RunChoice, Depends(run_choice)]


def source_of(request: Request) -> ResultsSource:
    """The results source of the app."""
    source: ResultsSource = request.app.state.source
    return source


def view_of(request: Request) -> ResultsView:
    """The results the request asks for: the run of its ``run`` or ``datetime`` parameter,
    else the latest (reloaded when the results changed)."""
    params = request.query_params
    return source_of(request).view(params.get("run"), params.get("datetime"))


def base_url(request: Request) -> str:
    """The service's root URL without a trailing slash."""
    return str(request.base_url).rstrip("/")


def url(request: Request, path: str, **query: Any) -> str:
    """Absolute URL of ``path`` under the service root, with ``query`` (None values dropped)
    and the request's run parameters (:data:`RUN_PARAMETERS`) unless ``query`` sets them."""
    params = {k: v for k in RUN_PARAMETERS if k not in query and (v := request.query_params.get(k))}
    params.update({k: v for k, v in query.items() if v is not None})
    text = base_url(request) + path
    return f"{text}?{urlencode(params)}" if params else text


def request_path(request: Request) -> str:
    """The request's path as sent, still percent-encoded (``/parks/A%2FB/summary`` stays
    so; the decoded ``request.url.path`` would turn the park ``A/B`` into two segments)."""
    raw = request.scope.get("raw_path")
    if raw:
        return raw.decode("latin-1").split("?", 1)[0]
    return quote(request.url.path, safe="/:@!$&'()*+,;=")


def self_url(request: Request, **changes: Any) -> str:
    """The request's own URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params.multi_items())
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    text = base_url(request) + request_path(request)
    return f"{text}?{urlencode(params)}" if params else text


def wants_html(request: Request, f: Format | None) -> bool:
    """HTML when ``f=html``, or when ``f`` is absent and the client (a browser) asks for
    text/html; JSON otherwise."""
    if f is not None:
        return f is Format.html
    return HTML in request.headers.get("accept", "")


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    """An OGC API link object."""
    out = {"href": href, "rel": rel, "type": media_type}
    if title:
        out["title"] = title
    return out


def document_links(request: Request, path: str) -> list[dict[str, str]]:
    """The ``self`` (JSON) and ``alternate`` (HTML) links of the document at ``path``."""
    return [
        link(url(request, path), "self", JSON, "This document"),
        link(url(request, path, f="html"), "alternate", HTML, "As HTML"),
    ]


def results_response(
    request: Request,
    view: ResultsView,
    document: Any,
    media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> Response:
    """A JSON document made from the results of ``view``, with a weak ETag of those results
    (the same as long as the same results are served: a client revalidates a page with
    ``If-None-Match`` and gets 304 Not Modified until new results arrive)."""
    tag = f'W/"{view.etag}"'
    if tag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={"ETag": tag, **(headers or {})})
    return json_response(document, media_type=media_type, headers={"ETag": tag, **(headers or {})})


def json_response(
    document: Any,
    media_type: str = JSON,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """JSON bytes written by orjson (NaN as null)."""
    return Response(
        dumps(document), status_code=status_code, media_type=media_type, headers=headers
    )
