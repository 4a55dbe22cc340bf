"""Park summaries: ``/parks`` and ``/parks/{park}/summary``."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from api.deps import (
    HTML,
    JSON,
    Format,
    RunQuery,
    StrictQueryRoute,
    link,
    results_response,
    url,
    view_of,
    wants_html,
)
from api.html import render
from api.summaries import summary_document


def summary_path(park: str) -> str:
    """The path of a park's summary, the name percent-encoded whole (``/``, ``?``, ``#``,
    ``%``, spaces and Chinese included), as the route below reads it back."""
    return f"/parks/{quote(park, safe='')}/summary"


#: The parcel filter that selects a group's parcels, by what the group names.
_ITEMS_FILTER = {"park": "park", "region": "region_label"}


def _with_links(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    path = summary_path(doc["park"])
    doc["links"] = [
        link(url(request, path), "self", JSON, "This summary"),
        link(url(request, path, f="html"), "alternate", HTML, "As HTML"),
    ]
    name = _ITEMS_FILTER.get(doc.get("group_kind", "park"))
    if name is not None:  # （未指定园区） has no filter of its own
        doc["links"].append(
            link(
                url(request, "/collections/parcels/items", **{name: doc["park"]}),
                "items",
                "application/geo+json",
                "The group's parcels",
            )
        )
    return doc


def build_router() -> APIRouter:
    """Park summary routes."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Parks"])

    @router.get("/parks", summary="Summaries of every park (or region)")
    def parks(request: Request, _run: RunQuery) -> Response:
        """Every summary group of the results — a park where the parcels name one, else the
        region of their supervision numbers, else （未指定园区） — with parcels and hectares
        per status, confirmed amounts and the amounts that would apply to unverified (待核查)
        parcels (万元, apart), mean and area-weighted intensity (万元/公顷), the as-of date."""
        view = view_of(request)
        docs = [
            _with_links(request, summary_document(row))
            for _, row in view.park_summaries().iterrows()  # one row per park
        ]
        return results_response(
            request,
            view,
            {
                "as_of_date": view.as_of,
                "run": view.run.run_id,
                "parks": docs,
                "links": [link(url(request, "/parks"), "self", JSON)],
            },
        )

    # {park:path}: a name holding "/" (sent as %2F, which the server decodes) still reaches here
    @router.get("/parks/{park:path}/summary", summary="Summary of one park (or region)")
    def park_summary(
        request: Request,
        park: Annotated[
            str,
            Path(
                description="Park name as in the results, e.g. 经开区北区 (or a region such as "
                "湖北省武汉市江夏区 for parcels without a park), percent-encoded "
                "(`/` as %2F, `?` as %3F, `#` as %23, `%` as %25)."
            ),
        ],
        _run: RunQuery,
        f: Format | None = None,
    ) -> Response:
        """One park's (or region's) summary (404 when no parcel of the results is in it)."""
        view = view_of(request)
        doc = _with_links(request, summary_document(view.park_summary(park)))
        doc["run"] = view.run.run_id  # which run, as the listing of /parks says
        if wants_html(request, f):
            return render(
                "summary.html",
                title=f"{doc['park']} 汇总",
                s=doc,
                nav=[
                    {"href": url(request, "/", f="html"), "title": "首页 Home"},
                    {
                        "href": url(request, "/collections/parks/items", f="html"),
                        "title": "园区 Parks",
                    },
                ],
                json_href=url(request, summary_path(doc["park"]), f="json"),
            )
        return results_response(request, view, doc)

    return router
