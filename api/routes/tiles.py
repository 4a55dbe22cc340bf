"""Vector tiles of a collection: the tileset list, TileJSON and the tiles themselves
(``/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}``, that is
z/y/x as OGC API - Tiles orders them)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import (
    JSON,
    CollectionId,
    RunQuery,
    StrictQueryRoute,
    json_response,
    link,
    settings_of,
    url,
    view_of,
)
from api.errors import NotFound
from api.settings import Settings
from api.tiles import MVT_MEDIA_TYPE, TILE_MATRIX_SET, TILE_MATRIX_SET_URI
from landuse.source import CollectionInfo

TILEJSON = "tilejson.json"


def _template(request: Request, coll: CollectionInfo, cells: str) -> str:
    # Braces of the template must stay literal (not URL-encoded); the run parameters follow.
    return url(request, f"/collections/{coll.id}/tiles/{TILE_MATRIX_SET}/{cells}")


def _drawable(coll: CollectionInfo) -> None:
    """404 naming the reason when no feature of ``coll`` has a geometry (nothing to tile)."""
    if coll.bbox is None:
        raise NotFound(
            f"Collection {coll.id!r} has no vector tiles: none of its {coll.size:,} features has "
            "a geometry (results of ledgers alone). Its features are served as a table at "
            f"/collections/{coll.id}/items; to draw parcels, analyse a parcel layer with the "
            "ledger (`landuse analyse parcels.gpkg --ledger 台账.csv ...`) and serve that result."
        )


def build_router(settings: Settings) -> APIRouter:
    """Tile routes; the zoom range comes from ``settings``."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Vector tiles"])
    min_zoom, max_zoom = settings.tile_min_zoom, settings.tile_max_zoom

    @router.get("/collections/{collectionId}/tiles", summary="Vector tilesets of a collection")
    def tilesets(request: Request, collectionId: CollectionId, _run: RunQuery) -> Response:
        """The collection's vector tileset (WebMercatorQuad, Mapbox Vector Tiles); 404 when
        none of its features has a geometry."""
        coll = view_of(request).collection(collectionId.value)
        _drawable(coll)
        template = _template(request, coll, "{tileMatrix}/{tileRow}/{tileCol}")
        tilejson = url(request, f"/collections/{coll.id}/tiles/{TILE_MATRIX_SET}/{TILEJSON}")
        return json_response(
            {
                "links": [link(url(request, f"/collections/{coll.id}/tiles"), "self", JSON)],
                "tilesets": [
                    {
                        "title": coll.title,
                        "dataType": "vector",
                        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
                        "tileMatrixSetURI": TILE_MATRIX_SET_URI,
                        "links": [
                            {
                                "href": template,
                                "rel": "item",
                                "type": MVT_MEDIA_TYPE,
                                "templated": True,
                            },
                            link(tilejson, "describedby", JSON, "TileJSON"),
                        ],
                    }
                ],
            }
        )

    @router.get(
        f"/collections/{{collectionId}}/tiles/{TILE_MATRIX_SET}/{TILEJSON}",
        summary="TileJSON of a collection",
    )
    def tilejson(request: Request, collectionId: CollectionId, _run: RunQuery) -> Response:
        """TileJSON 3.0.0 for web maps (MapLibre, OpenLayers, Leaflet plugins): the tile URL
        template (``{z}/{y}/{x}``), zoom range, bounds (of the features that have a
        geometry) and the layer's fields; 404 when none of its features has a geometry."""
        coll = view_of(request).collection(collectionId.value)
        _drawable(coll)
        template = _template(request, coll, "{z}/{y}/{x}")
        bounds = coll.bbox or [-180.0, -85.0511, 180.0, 85.0511]
        center_zoom = min(max(min_zoom, 12), max_zoom)
        return json_response(
            {
                "tilejson": "3.0.0",
                "name": coll.title,
                "description": coll.description,
                "scheme": "xyz",
                "tiles": [template],
                "minzoom": min_zoom,
                "maxzoom": max_zoom,
                "bounds": bounds,
                "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, center_zoom],
                "vector_layers": [
                    {
                        "id": coll.id,
                        "description": coll.title,
                        "minzoom": min_zoom,
                        "maxzoom": max_zoom,
                        "fields": coll.tile_fields,
                    }
                ],
            }
        )

    @router.get(
        f"/collections/{{collectionId}}/tiles/{TILE_MATRIX_SET}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}",
        summary="A vector tile",
        response_class=Response,
        responses={
            200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "The tile."},
            204: {"description": "No feature in this tile."},
        },
    )
    async def tile(
        request: Request,
        collectionId: CollectionId,
        tileMatrix: Annotated[int, Path(ge=min_zoom, le=max_zoom, description="Zoom z.")],
        tileRow: Annotated[int, Path(ge=0, description="Row y, from the top.")],
        tileCol: Annotated[int, Path(ge=0, description="Column x, from the left.")],
        choice: RunQuery,
    ) -> Response:
        """One Mapbox Vector Tile (layer named after the collection; each feature carries its
        id and the properties a map needs to colour and label it). 204 when empty, also for
        every tile of a collection without geometries."""
        z, y, x = tileMatrix, tileRow, tileCol
        if x >= 1 << z or y >= 1 << z:
            raise NotFound(f"Tile {z}/{y}/{x} is outside tile matrix {z} (0..{(1 << z) - 1}).")
        latest = choice.run is None and choice.datetime is None
        view = (latest and request.app.state.source.fresh_view()) or await run_in_threadpool(
            view_of, request
        )
        name = collectionId.value
        data = view.cached_tile(name, z, x, y)
        if data is None:  # rendering is CPU work: off the event loop, whatever the zoom
            data = await run_in_threadpool(view.tile, name, z, x, y)
        headers = {
            "Cache-Control": f"public, max-age={settings_of(request).tile_cache_max_age}",
            "ETag": f'"{view.etag}-{z}-{x}-{y}"',
        }
        if not data:
            return Response(status_code=204, headers=headers)
        return Response(data, media_type=MVT_MEDIA_TYPE, headers=headers)

    return router
