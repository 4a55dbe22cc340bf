"""``/runs``: the runs the service can serve (a store of runs holds many, a results file one)."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from api.deps import (
    HTML,
    JSON,
    Format,
    RunQuery,
    StrictQueryRoute,
    document_links,
    json_response,
    link,
    source_of,
    url,
    wants_html,
)
from api.html import render
from landuse.diff import diff_source
from landuse.ranking import rank_runs, ranking_document
from landuse.source import RunInfo, choose_run


def _run_document(request: Request, run: RunInfo, latest: bool) -> dict[str, Any]:
    doc = run.document()
    doc["latest"] = latest
    rid = str(run.run_id)
    doc["links"] = [
        link(
            url(request, "/collections/parcels/items", run=rid),
            "items",
            "application/geo+json",
            "Parcels",
        ),
        link(url(request, "/parks", run=rid), "related", JSON, "Park summaries"),
        link(url(request, "/map", run=rid), "related", HTML, "Map"),
    ]
    return doc


def build_router() -> APIRouter:
    """The ``/runs`` route."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Runs"])

    @router.get("/runs", summary="The runs served")
    def runs(request: Request, f: Format | None = None) -> Response:
        """Every run the service can serve, oldest recorded first: its id (the ``run``
        parameter of items, tiles and summaries), as-of date, when it was recorded, parcel and
        reject counts, the input files with their SHA-256 and the hash of the rules. A results
        file is one run (id 1); a store of runs (``landuse serve --store``) holds every run of
        ``landuse analyse --store``. Without ``run`` or ``datetime`` the service serves the
        latest (``latest: true``)."""
        listed = source_of(request).runs()
        latest = choose_run(listed, None, None).run_id if listed else None
        docs = [_run_document(request, r, r.run_id == latest) for r in listed]
        if wants_html(request, f):
            return render(
                "runs.html",
                title="分析记录 Runs",
                description=(
                    "每次分析的评价日期、输入文件及其 SHA-256。 Each run with its as-of date and "
                    "input files; add ?run=ID to any address to see that run."
                ),
                runs=[
                    {
                        **d,
                        "links": [{"href": ln["href"], "title": ln["title"]} for ln in d["links"]],
                    }
                    for d in docs
                ],
                nav=[{"href": url(request, "/", f="html"), "title": "首页 Home"}],
                json_href=url(request, "/runs", f="json"),
            )
        return json_response({"links": document_links(request, "/runs"), "runs": docs})

    @router.get("/ranking", summary="Ranking of a run and the warnings standing")
    def ranking(request: Request, _run: RunQuery) -> Response:
        """The groups of the run (parks and regions by default; the ``[ranking]`` table of the
        service's rules file) ranked by their score (default: the share of their area that is
        idle or overdue; rank 1 is the best), whether each is last and misses the target, and
        the warnings standing after that run: last while missing the target in 2 consecutive
        runs 黄色预警, 3 红色预警, 4 or more 组织处理建议, each with the runs that caused it."""
        source = source_of(request)
        params = request.query_params
        listed = source.runs()
        chosen = choose_run(listed, params.get("run"), params.get("datetime"))
        rules = request.app.state.rules
        rankings = rank_runs(listed, chosen, source.run_columns, rules)
        doc = ranking_document(rankings, rules)
        doc["links"] = [link(url(request, "/ranking"), "self", JSON, "This document")]
        return json_response(doc)

    @router.get("/runs/{run}/changes", summary="What changed in a run since an earlier one")
    def changes(
        request: Request,
        run: Annotated[str, Path(description="The run (an id of /runs).")],
        compare: Annotated[
            str | None,
            Query(description="The earlier run to compare with (default: the run before)."),
        ] = None,
    ) -> Response:
        """The parcels whose status changed between run ``compare`` (default: the run before
        ``run`` by as-of date) and ``run`` (``landuse diff``): per parcel its key
        (``parcel_id``, else ``supervision_no``), park, project, the kind of change
        (``newly_recovery`` 新增拟收回, ``newly_idle`` 新增闲置满一年, ``newly_late`` 新增逾期,
        ``newly_unverified`` 新增待核查, ``resolved`` 已整改, ``other`` 其他变化), the status
        before and after (``new`` for a parcel only in the later run, ``gone`` for one only
        in the earlier) and the hectares; then the parcels and hectares per kind. For the
        first run (nothing before it) ``compare`` is null and there are no changes. 404 when
        either run does not exist."""
        source = source_of(request)
        listed = source.runs()
        chosen = choose_run(listed, run, None)
        result = diff_source(source, chosen, compare)
        rid = str(chosen.run_id)
        links = [
            link(
                url(request, f"/runs/{rid}/changes", compare=compare), "self", JSON, "This document"
            ),
            link(url(request, "/map", run=rid), "related", HTML, "Map"),
        ]
        if result is None:
            return json_response(
                {"run": chosen.run_id, "compare": None, "changes": [], "kinds": [], "links": links}
            )
        return json_response(
            {
                "run": chosen.run_id,
                "as_of_date": chosen.as_of_date,
                "compare": result.before.run_id,
                "compare_as_of_date": result.before.as_of_date,
                "changes": json.loads(result.changes.to_json(orient="records", force_ascii=False)),
                "kinds": json.loads(result.kind_counts().to_json(orient="records")),
                "links": links,
            }
        )

    return router
