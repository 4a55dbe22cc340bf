"""The landing page, the conformance declaration and the API definition (OpenAPI 3.0 JSON and
its HTML rendering)."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import HTML, JSON, Format, StrictQueryRoute, json_response, link, url, wants_html
from api.html import render
from api.openapi import OPENAPI_MEDIA_TYPE, describe_errors_and_formats, to_openapi_30

CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
)


def _nav(request: Request) -> list[dict[str, str]]:
    return [
        {"href": url(request, "/", f="html"), "title": "首页 Home"},
        {"href": url(request, "/collections", f="html"), "title": "图层 Collections"},
        {"href": url(request, "/api.html"), "title": "API"},
    ]


def openapi_30(request: Request) -> dict[str, Any]:
    """The app's OpenAPI document as 3.0 (built once per app)."""
    app = request.app
    cached = getattr(app.state, "openapi_30", None)
    if cached is None:
        cached = describe_errors_and_formats(
            to_openapi_30(app.openapi(), getattr(app.state, "extra_schemas", {}))
        )
        app.state.openapi_30 = cached
    return cached


def build_router() -> APIRouter:
    """Routes ``/``, ``/conformance``, ``/api`` and ``/api.html``."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Capabilities"])

    @router.get("/", summary="Landing page", response_description="Links to the API's parts.")
    def landing(request: Request, f: Format | None = None) -> Response:
        """The service's landing page: links to the API definition, its documentation, the
        conformance declaration and the collections (OGC API - Features Part 1, 7.2)."""
        settings = request.app.state.settings
        links = [
            link(url(request, "/"), "self", JSON, "This document"),
            link(url(request, "/", f="html"), "alternate", HTML, "This document as HTML"),
            link(url(request, "/api"), "service-desc", OPENAPI_MEDIA_TYPE, "OpenAPI 3.0"),
            link(url(request, "/api.html"), "service-doc", HTML, "API documentation"),
            link(url(request, "/conformance"), "conformance", JSON, "Conformance classes"),
            link(url(request, "/collections"), "data", JSON, "Collections"),
            link(url(request, "/parks"), "related", JSON, "Park summaries"),
            link(url(request, "/runs"), "related", JSON, "Runs"),
        ]
        if wants_html(request, f):
            return render(
                "landing.html",
                title=settings.title,
                description=settings.description,
                links=links,
                nav=_nav(request),
                json_href=url(request, "/", f="json"),
            )
        return json_response(
            {"title": settings.title, "description": settings.description, "links": links}
        )

    @router.get("/conformance", summary="Conformance classes")
    def conformance(request: Request, f: Format | None = None) -> Response:
        """The OGC conformance classes this service implements."""
        if wants_html(request, f):
            return render(
                "landing.html",
                title="Conformance",
                description="Conformance classes implemented by this service.",
                links=[
                    {"href": c, "rel": "conformsTo", "type": "", "title": c} for c in CONFORMANCE
                ],
                nav=_nav(request),
                json_href=url(request, "/conformance", f="json"),
            )
        return json_response({"conformsTo": list(CONFORMANCE)})

    @router.get("/api", include_in_schema=False)
    def api_document(request: Request) -> Response:
        """The OpenAPI 3.0 definition of this service."""
        return json_response(openapi_30(request), media_type=OPENAPI_MEDIA_TYPE)

    @router.get("/api.html", include_in_schema=False)
    def api_html(request: Request) -> Response:
        """The API definition as a readable page (no external scripts)."""
        doc = openapi_30(request)
        operations = []
        for path, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if not isinstance(op, dict):
                    continue
                operations.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "parameters": [
                            {
                                "name": p.get("name", ""),
                                "where": p.get("in", ""),
                                "required": p.get("required", False),
                                "description": p.get("description", ""),
                            }
                            for p in op.get("parameters", [])
                        ],
                    }
                )
        info = doc.get("info", {})
        return render(
            "api.html",
            title=f"{info.get('title', 'API')} — API",
            description=info.get("description", ""),
            spec_href=url(request, "/api"),
            operations=operations,
            nav=_nav(request),
        )

    return router
