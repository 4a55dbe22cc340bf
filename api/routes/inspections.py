"""``/inspections``: findings recorded through the service and the 待核查 queue, kept where the
results source keeps them (:meth:`landuse.source.ResultsSource.inspections`: a store of runs,
see :mod:`landuse.inspection_store`; a results file keeps none, 409)."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Annotated, Any

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import (
    JSON,
    Format,
    StrictQueryRoute,
    document_links,
    json_response,
    link,
    source_of,
    url,
    wants_html,
)
from api.errors import InvalidBody, NotAStore
from api.html import render
from landuse import inspection_store as stored
from landuse.errors import InputError
from landuse.inspections import EXTRA_HEADERS
from landuse.schema import SOURCE_FILE
from landuse.source import InspectionLog, NotFound, ResultsSource, choose_run

#: File types an uploaded form may have.
UPLOAD_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv")
_FINDING_FIELDS = {
    "supervision_no": {"type": "string", "description": "电子监管号 (or give parcel_id)"},
    "parcel_id": {"type": "string", "description": "宗地编号 (or give supervision_no)"},
    "inspection_date": {"type": "string", "format": "date", "description": "核查日期"},
    "finding": {
        "type": "string",
        "description": "核查结论: 已开工 / 未开工 / 已竣工 (started, not_started, completed)",
    },
    "actual_start_date": {"type": "string", "format": "date", "description": "实际开工时间"},
    "actual_completion_date": {"type": "string", "format": "date", "description": "实际竣工时间"},
    "developed_area_ha": {"type": "number", "description": "已开发面积(公顷)"},
    "invested_ex_land_wan": {"type": "number", "description": "已投资额(万元, excluding land)"},
    "suspended_since": {"type": "string", "format": "date", "description": "停工日期"},
    "inspector": {"type": "string", "description": "核查人"},
    "inspection_note": {"type": "string", "description": "备注"},
}
_FINDING_SCHEMA = {
    "type": "object",
    "required": ["inspection_date", "finding"],
    "properties": _FINDING_FIELDS,
    "description": "One finding; the Chinese headers of the inspection form are accepted too.",
}
_HEADERS = "X-Recorded-By"


@dataclass(frozen=True)
class Findings:
    """What the inspection routes work on: the results source (its latest run's parcels) and
    where it keeps findings (:class:`~landuse.source.InspectionLog`)."""

    source: ResultsSource
    log: InspectionLog

    def latest(self, columns: tuple[str, ...]) -> tuple[int, pd.DataFrame]:
        """The id of the run served by default and its parcels' ``columns``."""
        run = choose_run(self.source.runs(), None, None)
        return run.run_id, self.source.run_columns(run, columns)

    def queue(self) -> tuple[int, list[dict[str, Any]]]:
        """The latest run's id and its 待核查 queue."""
        run_id, parcels = self.latest(stored.QUEUE_COLUMNS)
        return run_id, stored.queue_items(parcels, self.log.findings(), self.log.queue_state())


def _findings(request: Request) -> Findings:
    source = source_of(request)
    log = source.inspections()
    if log is None:
        raise NotAStore(
            "本服务发布的是成果文件，不能记录核查 This service serves a results file: inspection "
            "findings are kept in a store of runs. Serve one with landuse serve --store "
            "runs.sqlite (written by landuse analyse ... --store runs.sqlite)."
        )
    return Findings(source, log)


def _who(request: Request, recorded_by: str | None) -> str | None:
    """Who records: ``recorded_by``, else the :data:`_HEADERS` header. HTTP gives header bytes
    as Latin-1 text; a client that sends a Chinese name (curl -H 'X-Recorded-By: 张三') sends
    UTF-8, which is read back as such."""
    header = request.headers.get(_HEADERS)
    if header:
        with contextlib.suppress(UnicodeError):  # not UTF-8: the text as HTTP gives it
            header = header.encode("latin-1").decode("utf-8")
    return recorded_by or header or None


def _refused(exc: InputError) -> InvalidBody:
    error = InvalidBody(str(exc))
    error.errors = getattr(exc, "errors", None)  # type: ignore[attr-defined]
    return error


def _upload(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of the form uploaded as multipart/form-data (field ``file``)."""
    message = BytesParser(policy=default_policy).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_filename()
        if name:
            return Path(name).name, part.get_payload(decode=True) or b""
    raise InvalidBody(
        "上传内容中没有文件 No file in the upload: send the filled 待核查 form as the multipart "
        "field file (curl -F file=@核查表.xlsx ...)."
    )


def _read_upload(name: str, data: bytes) -> Any:
    from landuse.readers import read_table

    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InvalidBody(
            f"{name}: not an inspection form. Upload the filled 待核查 sheet of the results "
            f"workbook as {', '.join(UPLOAD_SUFFIXES)}."
        )
    with tempfile.TemporaryDirectory() as folder:
        # the upload's own (bare, see _upload) file name, so that messages name it
        usable = len(name.encode("utf-8", "replace")) <= 200 and "\x00" not in name
        path = Path(folder) / (name if usable else f"upload{suffix}")
        path.write_bytes(data)
        try:
            raw = read_table(path, extra_headers=EXTRA_HEADERS)
        except InputError as exc:
            text = str(exc).replace(folder + "/", "")
            raise InvalidBody(text if name in text else f"{name}: {text}") from None
    frame = raw.frame
    frame[SOURCE_FILE] = name
    return frame


def _record(store: Findings, content_type: str, body: bytes, who: str | None) -> dict[str, Any]:
    """Check and record the findings of a request body; the answer's document."""
    if content_type.startswith("multipart/form-data"):
        name, data = _upload(content_type, body)
        raw, source = _read_upload(name, data), name
    else:
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidBody(
                f"The body is not JSON ({exc}). Send a list of findings, e.g. "
                '[{"parcel_id": "A", "inspection_date": "2025-02-20", "finding": "未开工"}], '
                "or upload the filled 待核查 form as multipart/form-data."
            ) from None
        items = [items] if isinstance(items, dict) else items
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise InvalidBody(
                "Send a JSON list of findings (objects with parcel_id or supervision_no, "
                "inspection_date and finding)."
            )
        raw, source = stored.findings_frame(items), "api"
    _run, parcels = store.latest(stored.KEYS)
    try:
        table = stored.check_findings(raw, source, parcels)
    except InputError as exc:
        raise _refused(exc) from None
    ids = store.log.record(table, source=source, recorded_by=who)
    return {"recorded": len(ids), "ids": ids, "source": source}


def _page_links(request: Request, path: str, offset: int, limit: int, total: int) -> list:
    links = document_links(request, path)
    query = {k: v for k, v in request.query_params.items() if k not in ("offset", "f")}
    if offset + limit < total:
        links.append(link(url(request, path, **{**query, "offset": offset + limit}), "next", JSON))
    if offset > 0:
        links.append(
            link(url(request, path, **{**query, "offset": max(offset - limit, 0)}), "prev", JSON)
        )
    return links


_FINDING_COLUMNS = (
    "inspection_id",
    "supervision_no",
    "parcel_id",
    "inspection_date",
    "finding_zh",
    "inspector",
    "note",
    "recorded_at",
    "recorded_by",
    "source",
    "assigned_to",
    "status",
)
_QUEUE_COLUMNS = (
    "parcel",
    "project_name",
    "park",
    "area_ha",
    "start_due_date",
    "likely_idle",
    "potential_penalty_wan",
    "assigned_to",
    "status",
    "latest_finding",
)


def _page(
    request: Request,
    path: str,
    title: str,
    description: str,
    columns: tuple[str, ...],
    rows: list[dict[str, Any]],
) -> Response:
    """An HTML table of ``rows``."""
    return render(
        "table.html",
        title=title,
        description=description,
        columns=list(columns),
        rows=rows,
        pages=[],
        nav=[{"href": url(request, "/", f="html"), "title": "首页 Home"}],
        json_href=url(request, path, f="json"),
    )


def _listing(
    request: Request,
    path: str,
    offset: int,
    limit: int,
    entries: list[dict[str, Any]],
    name: str,
    **extra: Any,
) -> Response:
    """A JSON page of ``entries`` (``offset``, ``limit``) with next/prev links."""
    page = entries[offset : offset + limit]
    return json_response(
        {
            "links": _page_links(request, path, offset, limit, len(entries)),
            **extra,
            "numberMatched": len(entries),
            "numberReturned": len(page),
            name: page,
        }
    )


Limit = Annotated[int, Query(ge=1, le=1000, description="Entries per page.")]
Offset = Annotated[int, Query(ge=0, description="Entries to skip.")]
QueueStatus = Annotated[
    str | None, Query(pattern="^(open|done)$", description="Queue status (of the parcel).")
]
AssignedTo = Annotated[str | None, Query(description="Queue assignee (of the parcel).")]


@dataclass
class Listing:
    """The filters and paging of the listings."""

    status: QueueStatus = None
    assigned_to: AssignedTo = None
    limit: Limit = 100
    offset: Offset = 0
    f: Format | None = None


def build_router() -> APIRouter:
    """The inspection routes."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Inspections"])

    @router.post(
        "/inspections",
        summary="Record inspection findings",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": (
                    "A JSON list of findings (the inspection form's fields; its Chinese "
                    "headers are accepted too), or the filled 待核查 form of the results "
                    "workbook uploaded as multipart/form-data (field file, .xlsx or .csv). "
                    "Every row must name a parcel of the latest run and give a date and a "
                    "finding; one bad row and nothing is recorded."
                ),
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": _FINDING_SCHEMA, "minItems": 1}
                    },
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            }
        },
    )
    async def record(
        request: Request,
        recorded_by: Annotated[
            str | None,
            Query(
                max_length=200,
                description=f"Who records them (else the {_HEADERS} header).",
            ),
        ] = None,
    ) -> Response:
        """Record findings (核查结论) in the store of runs, in one transaction: the next
        ``landuse analyse ... --store`` uses them as inspections (the latest per parcel up to
        its as-of date). The answer gives how many were recorded and their ids. A row that
        cannot be used is a 422 naming its row, field and the fix (``errors``), and nothing
        is recorded."""
        store = _findings(request)
        body = await request.body()  # capped and timed by api.limits.BodyLimits
        content_type = request.headers.get("content-type", "application/json")
        doc = await run_in_threadpool(
            _record, store, content_type, body, _who(request, recorded_by)
        )
        doc["links"] = [link(url(request, "/inspections"), "related", JSON, "Findings")]
        return json_response(doc, status_code=201)

    @router.get("/inspections", summary="Inspection findings recorded")
    def findings(
        request: Request,
        q: Annotated[Listing, Depends()],
        parcel: Annotated[str | None, Query(description="电子监管号 or 宗地编号.")] = None,
    ) -> Response:
        """The findings recorded, latest recorded first, with who recorded them and from what
        (``api`` or the uploaded file's name); filters: a parcel, the queue ``status`` and
        ``assigned_to`` of its parcel."""
        store = _findings(request)
        found = store.log.findings().iloc[::-1]
        state = store.log.queue_state()
        docs = []
        for row in found.to_dict("records"):
            keys = {stored.parcel_key(row[k], None) for k in stored.KEYS} - {None}
            queued = next((state[k] for k in keys if k in state), (None, "open", None, None))
            if parcel is not None and stored.parcel_key(parcel, None) not in keys:
                continue
            if q.status is not None and queued[1] != q.status:
                continue
            if q.assigned_to is not None and queued[0] != q.assigned_to:
                continue
            doc = stored.finding_document(row)
            doc.update(assigned_to=queued[0], status=queued[1])
            docs.append(doc)
        page = docs[q.offset : q.offset + q.limit]
        if wants_html(request, q.f):
            return _page(
                request,
                "/inspections",
                "核查记录 Inspection findings",
                f"{len(docs)} findings recorded 条核查记录",
                _FINDING_COLUMNS,
                page,
            )
        return _listing(request, "/inspections", q.offset, q.limit, docs, "inspections")

    @router.get("/inspections/queue", summary="The 待核查 parcels to inspect")
    def inspection_queue(
        request: Request,
        q: Annotated[Listing, Depends()],
    ) -> Response:
        """The 待核查 (unverified) parcels of the latest run, ranked as the workbook's 待核查
        sheet ranks them (likely idle by the footprints first, then the amount that would
        apply, then the area), each with who it is assigned to, its status (open/done) and
        its latest recorded finding."""
        run_id, items = _findings(request).queue()
        if q.status is not None:
            items = [i for i in items if i["status"] == q.status]
        if q.assigned_to is not None:
            items = [i for i in items if i["assigned_to"] == q.assigned_to]
        page = items[q.offset : q.offset + q.limit]
        if wants_html(request, q.f):
            rows = [
                {**i, "latest_finding": (i["latest_finding"] or {}).get("finding_zh")} for i in page
            ]
            return _page(
                request,
                "/inspections/queue",
                "待核查 Inspection queue",
                f"run {run_id}: {len(items)} parcels 宗待核查",
                _QUEUE_COLUMNS,
                rows,
            )
        return _listing(
            request, "/inspections/queue", q.offset, q.limit, items, "queue", run=run_id
        )

    @router.post(
        "/inspections/queue/{parcel}",
        summary="Assign a queued parcel or mark it done",
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "assigned_to and/or status (open or done).",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "assigned_to": {"type": "string", "maxLength": 200},
                                "status": {"type": "string", "enum": ["open", "done"]},
                            },
                        }
                    }
                },
            }
        },
    )
    async def update_queue(
        request: Request,
        parcel: Annotated[str, PathParam(description="电子监管号 or 宗地编号 of the parcel.")],
        recorded_by: Annotated[
            str | None,
            Query(max_length=200, description=f"Who changes it (else the {_HEADERS} header)."),
        ] = None,
    ) -> Response:
        """Assign a 待核查 parcel of the latest run to someone (``assigned_to``) and/or set
        its status (``open``/``done``); answers its queue entry."""
        store = _findings(request)
        body = await request.body()
        try:
            change = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidBody(
                f'The body is not JSON ({exc}): send {{"assigned_to": "..."}}.'
            ) from None
        if (
            not isinstance(change, dict)
            or not change
            or set(change) - {"assigned_to", "status"}
            or change.get("status", "open") not in stored.QUEUE_STATUSES
            or not isinstance(change.get("assigned_to", ""), str | None)
        ):
            raise InvalidBody(
                'Send {"assigned_to": "name"} and/or {"status": "open" or "done"}, nothing else.'
            )
        key = stored.parcel_key(parcel, None)
        _run, items = await run_in_threadpool(store.queue)
        match = [
            i
            for i in items
            if key
            in (
                stored.parcel_key(i.get("supervision_no"), None),
                stored.parcel_key(i.get("parcel_id"), None),
            )
        ]
        if not match:
            raise NotFound(
                f"{parcel} is not in the 待核查 list of the latest run: see "
                f"{url(request, '/inspections/queue')}."
            )
        await run_in_threadpool(
            store.log.set_queue,
            match[0]["parcel"],
            assigned_to=change.get("assigned_to"),
            status=change.get("status"),
            by=_who(request, recorded_by),
        )
        _run, items = await run_in_threadpool(store.queue)
        (doc,) = [i for i in items if i["parcel"] == match[0]["parcel"]]
        return json_response(doc)

    return router
