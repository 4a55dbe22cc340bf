"""``/collections``, one collection's description, its queryables and its feature schema."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import (
    GEOJSON,
    HTML,
    JSON,
    SCHEMA_JSON,
    CollectionId,
    Format,
    RunQuery,
    StrictQueryRoute,
    document_links,
    json_response,
    link,
    url,
    view_of,
    wants_html,
)
from api.features import JSON_TYPES
from api.html import render
from api.tiles import TILE_MATRIX_SET
from landuse.source import CRS84, CollectionInfo

QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def collection_document(request: Request, coll: CollectionInfo) -> dict[str, Any]:
    """The OGC API description of one collection, with its links."""
    base = f"/collections/{coll.id}"
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": [CRS84],
        "itemCount": coll.size,
        "links": [
            link(url(request, base), "self", JSON, "This collection"),
            link(url(request, base, f="html"), "alternate", HTML, "This collection as HTML"),
            link(url(request, f"{base}/items"), "items", GEOJSON, "Features"),
            link(url(request, f"{base}/items", f="html"), "items", HTML, "Features as HTML"),
            link(url(request, f"{base}/queryables"), QUERYABLES_REL, SCHEMA_JSON, "Queryables"),
            link(url(request, f"{base}/schema"), "describedby", SCHEMA_JSON, "Feature schema"),
            link(url(request, f"{base}/schema"), SCHEMA_REL, SCHEMA_JSON, "Feature schema"),
        ],
    }
    if coll.bbox is not None:  # tiles and an extent only where some feature has a geometry
        doc["links"] += [
            link(url(request, f"{base}/tiles"), TILESETS_REL, JSON, "Vector tilesets"),
            link(
                url(request, f"{base}/tiles/{TILE_MATRIX_SET}/tilejson.json"),
                "related",
                JSON,
                "TileJSON (vector tiles)",
            ),
        ]
        doc["extent"] = {"spatial": {"bbox": [coll.bbox], "crs": CRS84}}
    return doc


def _nav(request: Request) -> list[dict[str, str]]:
    return [
        {"href": url(request, "/", f="html"), "title": "首页 Home"},
        {"href": url(request, "/collections", f="html"), "title": "图层 Collections"},
    ]


def build_router() -> APIRouter:
    """Routes under ``/collections`` that describe collections."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Collections"])

    @router.get("/collections", summary="The collections")
    def collections(request: Request, _run: RunQuery, f: Format | None = None) -> Response:
        """Every feature collection served: ``parcels`` and ``parks``."""
        infos = view_of(request).collections()
        docs = [collection_document(request, c) for c in infos]
        if wants_html(request, f):
            rows = [
                {
                    "id": c.id,
                    "title": c.title,
                    "description": c.description,
                    "count": c.size,
                    "href": url(request, f"/collections/{c.id}", f="html"),
                }
                for c in infos
            ]
            return render(
                "collections.html",
                title="图层 Collections",
                collections=rows,
                nav=_nav(request),
                json_href=url(request, "/collections", f="json"),
            )
        return json_response(
            {"links": document_links(request, "/collections"), "collections": docs}
        )

    @router.get("/collections/{collectionId}", summary="One collection")
    def collection(
        request: Request, collectionId: CollectionId, _run: RunQuery, f: Format | None = None
    ) -> Response:
        """The description of one collection (extent, links to items, queryables, tiles)."""
        coll = view_of(request).collection(collectionId.value)
        doc = collection_document(request, coll)
        if wants_html(request, f):
            return render(
                "collection.html",
                title=coll.title,
                collection=doc,
                nav=_nav(request),
                json_href=url(request, f"/collections/{coll.id}", f="json"),
            )
        return json_response(doc)

    @router.get(
        "/collections/{collectionId}/queryables",
        summary="Queryable properties",
        response_class=Response,
        responses={200: {"content": {SCHEMA_JSON: {}}}},
    )
    def queryables(request: Request, collectionId: CollectionId, _run: RunQuery) -> Response:
        """The properties that take ``?name=value`` equality filters on the items, as a JSON
        Schema (OGC API - Features Part 3)."""
        coll = view_of(request).collection(collectionId.value)
        kinds = coll.kinds
        props: dict[str, Any] = {}
        for name, values in coll.queryables.items():
            schema: dict[str, Any] = {"title": name, "type": kinds[name]}
            if values is not None:
                schema["enum"] = values
            props[name] = schema
        return json_response(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": url(request, f"/collections/{coll.id}/queryables"),
                "type": "object",
                "title": coll.title,
                "properties": props,
                "additionalProperties": False,
            },
            media_type=SCHEMA_JSON,
        )

    @router.get(
        "/collections/{collectionId}/schema",
        summary="Feature schema",
        response_class=Response,
        responses={200: {"content": {SCHEMA_JSON: {}}}},
    )
    def schema(request: Request, collectionId: CollectionId, _run: RunQuery) -> Response:
        """JSON Schema of the collection's GeoJSON features, with the type of every property
        (GDAL reads it to type the fields: numbers, integers, booleans, dates)."""
        coll = view_of(request).collection(collectionId.value)
        return json_response(
            {
                "$schema": JSON_SCHEMA_DIALECT,
                "$id": url(request, f"/collections/{coll.id}/schema"),
                "title": coll.title,
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "integer"},
                    "geometry": {
                        # null for the features without a geometry (ledger rows)
                        "type": ["object", "null"] if coll.without_geometry else "object",
                        "format": "geometry-any",
                    },
                    "properties": {
                        "type": "object",
                        "properties": {
                            name: {"title": name, **JSON_TYPES[kind]}
                            for name, kind in coll.kinds.items()
                        },
                    },
                },
            },
            media_type=SCHEMA_JSON,
        )

    return router
