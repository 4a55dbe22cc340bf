"""``/collections/{collectionId}/items`` (paged, filtered GeoJSON) and single features."""

import datetime as dt
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from api.deps import (
    GEOJSON,
    HTML,
    JSON,
    CollectionId,
    Format,
    RunQuery,
    StrictQueryRoute,
    link,
    results_response,
    self_url,
    url,
    view_of,
    wants_html,
)
from api.errors import InvalidParameter
from api.features import features
from api.html import render
from api.settings import Settings
from landuse.source import CRS84, BBox
from landuse.source import Query as SourceQuery
from landuse.vocab import (
    LABELS_ZH,
    AreaGroupKind,
    IdleStage,
    Progress,
    Status,
    accepted_values,
    code_of,
)

CONTENT_CRS = {"Content-Crs": f"<{CRS84}>"}


class BBoxCrs(StrEnum):
    """The ``bbox-crs`` values accepted (all mean CRS84 longitude/latitude)."""

    crs84 = CRS84
    crs84_https = "https://www.opengis.net/def/crs/OGC/1.3/CRS84"
    ogc_crs84 = "OGC:CRS84"


MAX_OFFSET = 10**12

#: Columns shown in the HTML table of a page (all columns are in the JSON).
HTML_COLUMNS: dict[str, tuple[str, ...]] = {
    "parcels": (
        "parcel_id",
        "park",
        "project_name",
        "holder",
        "status_zh",
        "area_ha",
        "intensity_wan_per_ha",
        "total_penalty_wan",
        "proposed_action",
    ),
    "parks": (
        "park",
        "group_kind",
        "parcels",
        "area_ha",
        "confirmed_penalty_wan",
        "potential_penalty_wan",
        "mean_intensity_wan_per_ha",
    ),
}


def parse_bbox(text: str | None) -> BBox | None:
    """``minx,miny,maxx,maxy`` (or 6 numbers with heights, ignored) in CRS84 longitude and
    latitude; 400 for anything else."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(v) for v in numbers):
        raise InvalidParameter(
            f"bbox={text!r}: write four numbers minLon,minLat,maxLon,maxLat in degrees, e.g. "
            "bbox=123.2,41.7,123.4,41.8."
        )
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidParameter(
            f"bbox={text!r}: longitudes must lie in -180..180 and latitudes in -90..90 with the "
            "lower latitude first."
        )
    return minx, miny, maxx, maxy


def coded_filter(vocab: type[StrEnum], description: str) -> Any:
    """The type of a query parameter on a coded column: a code of ``vocab`` or its Chinese
    label (both listed in the OpenAPI document; :func:`filter_code` gives the code); any other
    value is a 400 that lists them."""
    values = accepted_values(vocab)
    labels = ", ".join(f"{code} {label}" for code, label in LABELS_ZH[vocab].items())
    return Annotated[
        Literal[values] | None,  # type: ignore[valid-type]
        Query(description=f"{description} A code or its Chinese label: {labels}."),
    ]


def filter_code(vocab: type[StrEnum], value: str | None) -> str | None:
    """The code a coded filter's value names (a code, or a Chinese label)."""
    return None if value is None else code_of(vocab, value)


StatusFilter = coded_filter(Status, "Status equals.")
IdleStageFilter = coded_filter(IdleStage, "Idle stage equals.")
ProgressFilter = coded_filter(Progress, "Progress class equals.")
GroupKindFilter = coded_filter(AreaGroupKind, "What the group names equals.")


def _filters(given: dict[str, Any]) -> dict[str, Any]:
    filters = {name: value for name, value in given.items() if value is not None}
    return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in filters.items()}


def parse_sortby(text: str | None) -> tuple[str, ...]:
    """``sortby=a,-b`` (``+a`` too; a ``+`` sent unencoded arrives as a space): property
    names, ``-`` for descending."""
    if text is None:
        return ()
    keys = tuple(k.strip().lstrip("+").strip() for k in text.split(","))
    if not all(k and k != "-" for k in keys):
        raise InvalidParameter(
            f"sortby={text!r}: give property names separated by commas, - before a name for "
            "descending, e.g. sortby=-total_penalty_wan,parcel_id."
        )
    return keys


def _timestamp() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Paging:
    """The query parameters every items route takes: ``bbox`` (parsed), ``limit``, ``offset``,
    ``sortby`` (parsed) and ``f``."""

    bbox: BBox | None
    limit: int
    offset: int
    f: Format | None
    sortby: tuple[str, ...] = ()


def paging_parameters(settings: Settings) -> Callable[..., Awaitable[Paging]]:
    """The dependency reading :class:`Paging` (bounds of ``limit`` from ``settings``)."""

    async def paging(
        _run: RunQuery,  # documented on every items route; view_of reads it
        bbox: Annotated[
            str | None,
            Query(
                description="Only features intersecting minLon,minLat,maxLon,maxLat (CRS84).",
                examples=["123.2,41.7,123.4,41.8"],
            ),
        ] = None,
        bbox_crs: Annotated[
            BBoxCrs | None, Query(alias="bbox-crs", description=f"Only {CRS84}.")
        ] = None,
        limit: Annotated[
            int,
            Query(
                ge=1,
                le=settings.max_limit,
                description=f"Features per page (at most {settings.max_limit}).",
            ),
        ] = settings.default_limit,
        offset: Annotated[
            int, Query(ge=0, le=MAX_OFFSET, description="Features to skip (paging).")
        ] = 0,
        sortby: Annotated[
            str | None,
            Query(
                description="Order by these properties (comma-separated; - before a name for "
                "descending), then by id; nulls last.",
                examples=["-total_penalty_wan"],
            ),
        ] = None,
        f: Format | None = None,
    ) -> Paging:
        return Paging(parse_bbox(bbox), limit, offset, f, parse_sortby(sortby))

    return paging


def items_page(
    request: Request, collection_id: str, paging: Paging, given: dict[str, Any]
) -> Response:
    """A page of ``collection_id``'s features passing ``paging.bbox`` and the equality
    filters ``given`` (None values ignored), as GeoJSON or HTML."""
    view = view_of(request)
    coll = view.collection(collection_id)
    limit, offset, f = paging.limit, paging.offset, paging.f
    found = view.page(
        collection_id,
        SourceQuery(_filters(given), paging.bbox, paging.sortby, limit, offset),
    )
    total = found.number_matched
    ids = found.ids
    html = wants_html(request, f)
    fmt = "html" if html else None
    links = [
        link(self_url(request, f=fmt), "self", HTML if html else GEOJSON, "This page"),
        link(
            self_url(request, f="json" if html else "html"),
            "alternate",
            GEOJSON if html else HTML,
            "This page in another format",
        ),
        link(url(request, f"/collections/{coll.id}"), "collection", JSON, coll.title),
    ]
    pages: list[dict[str, str]] = []
    if offset + limit < total:
        nxt = self_url(request, offset=offset + limit, limit=limit, f=fmt)
        links.append(link(nxt, "next", HTML if html else GEOJSON, "Next page"))
        pages.append({"href": nxt, "title": "next 下一页"})
    if offset > 0:
        prv = self_url(request, offset=max(offset - limit, 0), limit=limit, f=fmt)
        links.append(link(prv, "prev", HTML if html else GEOJSON, "Previous page"))
        pages.append({"href": prv, "title": "prev 上一页"})
    if html:
        return render(
            "items.html",
            title=f"{coll.title}",
            number_matched=total,
            number_returned=len(ids),
            pages=pages,
            columns=[c for c in HTML_COLUMNS[coll.id] if c in coll.kinds],
            features=[
                {
                    "id": fid,
                    "href": url(request, f"/collections/{coll.id}/items/{fid}", f="html"),
                    "properties": props,
                }
                for fid, props in zip(ids, found.properties, strict=True)
            ],
            nav=[
                {"href": url(request, "/", f="html"), "title": "首页 Home"},
                {
                    "href": url(request, f"/collections/{coll.id}", f="html"),
                    "title": coll.title,
                },
            ],
            json_href=self_url(request, f="json"),
        )
    document = {
        "type": "FeatureCollection",
        "numberMatched": total,
        "numberReturned": len(ids),
        "timeStamp": _timestamp(),
        "links": links,
        "features": features(ids, found.geometries, found.properties),
    }
    return results_response(request, view, document, media_type=GEOJSON, headers=CONTENT_CRS)


ITEMS_DESCRIPTION = """A page of {what} as GeoJSON (CRS84 longitude/latitude), typed properties;
a feature without a geometry has ``"geometry": null`` and matches no ``bbox``.

Filters: ``bbox`` and equality on the collection's queryable properties (see
``/collections/{collection}/queryables``); booleans as ``true``/``false``. Paging: ``limit`` and
``offset``, or follow the ``next``/``prev`` links. ``numberMatched`` is exact and computed once
per filter (cached)."""


def build_router(settings: Settings) -> APIRouter:
    """Items routes; ``limit`` defaults and bounds come from ``settings``.

    Each collection has its own items route so that the OpenAPI document lists only the
    filters that collection takes."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Features"])
    PagingQuery = Annotated[Paging, Depends(paging_parameters(settings))]

    @router.get(
        "/collections/parcels/items",
        summary="Parcels (features of the parcels collection)",
        description=ITEMS_DESCRIPTION.format(what="parcels", collection="parcels"),
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    def parcel_items(
        request: Request,
        paging: PagingQuery,
        parcel_id: Annotated[str | None, Query(description="Parcel id equals.")] = None,
        park: Annotated[str | None, Query(description="Park name equals.")] = None,
        region_label: Annotated[
            str | None,
            Query(
                description="Region (of the supervision number) equals, e.g. 湖北省武汉市江夏区."
            ),
        ] = None,
        status: StatusFilter = None,
        below_threshold: Annotated[
            bool | None, Query(description="Intensity below threshold.")
        ] = None,
        recovery_candidate: Annotated[bool | None, Query(description="Recovery candidate.")] = None,
        termination_risk: Annotated[
            bool | None, Query(description="Contract may be terminated.")
        ] = None,
        idle_stage: IdleStageFilter = None,
        started: Annotated[bool | None, Query(description="Started.")] = None,
        completed: Annotated[bool | None, Query(description="Completed.")] = None,
        amounts_confirmed: Annotated[bool | None, Query(description="Amounts confirmed.")] = None,
        industry_code: Annotated[
            str | None, Query(description="Two-digit GB/T 4754 code equals.")
        ] = None,
        likely_idle: Annotated[
            bool | None,
            Query(
                description="Likely idle (疑似闲置): unverified, and no building in a footprint "
                "survey a year or more after the start due date (rank for inspection, never a "
                "finding of idleness)."
            ),
        ] = None,
        progress: ProgressFilter = None,
    ) -> Response:
        return items_page(
            request,
            "parcels",
            paging,
            {
                "parcel_id": parcel_id,
                "park": park,
                "region_label": region_label,
                "status": filter_code(Status, status),
                "below_threshold": below_threshold,
                "recovery_candidate": recovery_candidate,
                "termination_risk": termination_risk,
                "idle_stage": filter_code(IdleStage, idle_stage),
                "started": started,
                "completed": completed,
                "amounts_confirmed": amounts_confirmed,
                "industry_code": industry_code,
                "likely_idle": likely_idle,
                "progress": filter_code(Progress, progress),
            },
        )

    @router.get(
        "/collections/parks/items",
        summary="Parks (features of the parks collection)",
        description=ITEMS_DESCRIPTION.format(what="parks", collection="parks"),
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    def park_items(
        request: Request,
        paging: PagingQuery,
        park: Annotated[str | None, Query(description="Park (or region) name equals.")] = None,
        group_kind: GroupKindFilter = None,
    ) -> Response:
        kind = filter_code(AreaGroupKind, group_kind)
        return items_page(request, "parks", paging, {"park": park, "group_kind": kind})

    @router.get(
        "/collections/buildings/items",
        summary="Building footprints (features of the buildings collection)",
        description=ITEMS_DESCRIPTION.format(what="building footprints", collection="buildings"),
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    def building_items(
        request: Request,
        paging: PagingQuery,
        building_id: Annotated[str | None, Query(description="Building id equals.")] = None,
    ) -> Response:
        return items_page(request, "buildings", paging, {"building_id": building_id})

    @router.get(
        "/collections/{collectionId}/items/{featureId}",
        summary="One feature",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}, HTML: {}}}},
    )
    def item(
        request: Request,
        collectionId: CollectionId,
        featureId: Annotated[str, Path(description="The feature's integer id.")],
        _run: RunQuery,
        f: Format | None = None,
    ) -> Response:
        """One feature as GeoJSON, with links to itself and its collection."""
        view = view_of(request)
        coll = view.collection(collectionId.value)
        one = view.feature(coll.id, featureId)
        fid, props = one.ids[0], one.properties[0]
        base = f"/collections/{coll.id}"
        if wants_html(request, f):
            title = str(props.get("parcel_id") or props.get("park") or fid)
            return render(
                "item.html",
                title=title,
                properties=props,
                nav=[
                    {"href": url(request, "/", f="html"), "title": "首页 Home"},
                    {"href": url(request, f"{base}/items", f="html"), "title": coll.title},
                ],
                json_href=url(request, f"{base}/items/{fid}", f="json"),
            )
        feature = features([fid], one.geometries, [props])[0]
        feature["links"] = [
            link(url(request, f"{base}/items/{fid}"), "self", GEOJSON, "This feature"),
            link(url(request, f"{base}/items/{fid}", f="html"), "alternate", HTML, "As HTML"),
            link(url(request, base), "collection", JSON, coll.title),
        ]
        return results_response(request, view, feature, media_type=GEOJSON, headers=CONTENT_CRS)

    return router
