"""``POST /screening``: screen proposed projects (入园评审, RULES.md section 6)."""

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import StrictQueryRoute
from api.errors import InvalidBody
from api.features import dumps
from api.settings import Settings
from landuse.rules_file import RuleSet
from landuse.screening import ProposedProject, ScreeningVerdict, screen_records

#: Models the OpenAPI document must define for this route's request body.
SCHEMAS = {"ProposedProject": ProposedProject}
_PROJECT_REF = {"$ref": "#/components/schemas/ProposedProject"}


def _errors(exc: ValidationError, prefix: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [*prefix, *err.get("loc", ())],
            "msg": str(err.get("msg", "")).removeprefix("Value error, "),
            "type": err.get("type", ""),
        }
        for err in exc.errors(include_url=False)
    ]


def parse_projects(raw: bytes, most: int) -> ProposedProject | list[ProposedProject]:
    """The body as one project or a list of them; :class:`InvalidBody` (422) naming every
    field at fault (``loc`` like ``["body", 2, "investment_wan"]``)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(
            f"The body is not JSON ({exc}). Send one project as a JSON object, or a list of them.",
            errors=[{"loc": ["body"], "msg": str(exc), "type": "json_invalid"}],
        ) from None
    if isinstance(body, dict):
        try:
            return ProposedProject.model_validate(body)
        except ValidationError as exc:
            errors = _errors(exc, ["body"])
    elif isinstance(body, list):
        if len(body) > most:
            raise InvalidBody(
                f"{len(body)} projects in one request; send at most {most} per request.",
                errors=[{"loc": ["body"], "msg": f"at most {most} items", "type": "too_long"}],
            )
        projects: list[ProposedProject] = []
        errors = []
        for i, item in enumerate(body):  # projects, not parcels: a request holds few
            try:
                projects.append(ProposedProject.model_validate(item))
            except ValidationError as exc:
                errors += _errors(exc, ["body", i])
        if not errors:
            return projects
    else:
        errors = [{"loc": ["body"], "msg": "expected an object or an array", "type": "type"}]
    text = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in errors
    )
    raise InvalidBody(f"The project(s) cannot be screened: {text}.", errors=errors)


def _gate(request: Request) -> asyncio.Semaphore:
    """The app's screening semaphore (made on first use, inside the running event loop)."""
    state = request.app.state
    gate = getattr(state, "screening_gate", None)
    if gate is None:
        gate = state.screening_gate = asyncio.Semaphore(1)
    return gate


def _answer(raw: bytes, most: int, rules: RuleSet) -> bytes:
    """The JSON answer to a screening body: parse, validate, screen, serialise (CPU work for
    a worker thread)."""
    projects = parse_projects(raw, most)
    batch = projects if isinstance(projects, list) else [projects]
    verdicts = screen_records(batch, rules)
    return dumps(verdicts if isinstance(projects, list) else verdicts[0])


def build_router(settings: Settings) -> APIRouter:
    """The screening route; the batch size limit comes from ``settings``."""
    router = APIRouter(route_class=StrictQueryRoute, tags=["Screening"])
    most = settings.max_screening_batch
    body_schema = {
        "oneOf": [_PROJECT_REF, {"type": "array", "items": _PROJECT_REF, "maxItems": most}]
    }

    @router.post(
        "/screening",
        summary="Screen proposed projects",
        response_model=ScreeningVerdict | list[ScreeningVerdict],
        responses={422: {"description": "The body names a field that cannot be used."}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": (
                    f"One proposed project, or a list of at most {most}. Investment in 万元 "
                    "including land; the area in exactly one of area_ha, area_mu or area_m2; "
                    "shares as fractions 0-1."
                ),
                "content": {"application/json": {"schema": body_schema}},
            }
        },
    )
    async def screening(request: Request) -> Response:
        """The verdict of each project against the intensity threshold of the rules file and
        the control indicators (building coverage, administrative/living share, green ratio,
        plot ratio): the same fields as ``landuse screen --json``. A list in gives a list out,
        in the same order."""
        rules: RuleSet = request.app.state.rules
        raw = await request.body()  # capped and timed by api.limits.BodyLimits
        # Parsing, validating and screening 5,000 projects is ~0.2 s of work that mostly holds
        # the GIL: it runs in a worker thread (the event loop keeps answering) and one request
        # at a time (threads fighting over the GIL would slow every other request down).
        async with _gate(request):
            body = await run_in_threadpool(_answer, raw, most, rules)
        return Response(body, media_type="application/json")

    return router
