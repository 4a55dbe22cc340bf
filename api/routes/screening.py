"""``POST /screening``: screen proposed projects (入园评审, RULES.md section 6)."""

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import StrictQueryRoute
from api.screener import ScreeningWorkers
from api.settings import Settings
from landuse.screening import ProposedProject, ScreeningVerdict

#: Models the OpenAPI document must define for this route's request body.
SCHEMAS = {"ProposedProject": ProposedProject}
_PROJECT_REF = {"$ref": "#/components/schemas/ProposedProject"}


def _gate(request: Request) -> asyncio.Semaphore:
    """The app's screening semaphore (made on first use, inside the running event loop): one
    screening per screening process at a time, the others wait without holding a thread."""
    state = request.app.state
    gate = getattr(state, "screening_gate", None)
    if gate is None:
        workers: ScreeningWorkers = state.screening
        gate = state.screening_gate = asyncio.Semaphore(max(workers.processes, 1))
    return gate


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
        raw = await request.body()  # capped and timed by api.limits.BodyLimits
        # Parsing, validating and screening (0.2 s for 5,000 projects) happen in a child
        # process (api.screener), one body per process at a time.
        async with _gate(request):
            body = await request.app.state.screening.answer(raw, most)
        return Response(body, media_type="application/json")

    return router
