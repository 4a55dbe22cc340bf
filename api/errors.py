"""The service's exceptions and the one table that maps them to HTTP answers.

Every error answer is JSON ``{"code": ..., "description": ...}`` (the OGC API exception shape),
with ``errors`` listing the fields at fault for a body that fails validation. A client mistake is
a 4xx with a message; only a fault of the service itself is a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from landuse.errors import InputError
from landuse.source import InvalidQuery, NotFound, ResultsError, ResultsUnavailable

log = logging.getLogger("landuse.api")


class ApiError(ResultsError):
    """Base of the service's errors: ``code`` is the OGC exception code, the message is for
    a person (what was wrong and how to fix it). The results source's errors
    (:mod:`landuse.source`: :class:`NotFound`, :class:`InvalidQuery` alias
    :data:`InvalidParameter`, :class:`ResultsUnavailable`) are answered the same way."""


#: A query parameter that is unknown, malformed or out of range (the source's InvalidQuery).
InvalidParameter = InvalidQuery


class InvalidBody(ApiError):
    """A request body that cannot be used (names the field at fault)."""

    code = "InvalidBody"


class NotAcceptable(ApiError):
    """A format (``f``) the resource does not offer."""

    code = "NotAcceptable"


class BodyTooLarge(ApiError):
    """A request body above the size limit (the rest of it is not read)."""

    code = "PayloadTooLarge"
    headers = {"Connection": "close"}


class BodyTimeout(ApiError):
    """A request body that did not arrive in full in time (short or trickling upload)."""

    code = "RequestTimeout"
    headers = {"Connection": "close"}


class NotAStore(ApiError):
    """A route that needs a store of runs (``landuse serve --store``) on a results file."""

    code = "Conflict"


#: The one table: exception class -> HTTP status. Looked up along the class's MRO.
STATUS_BY_ERROR: dict[type[Exception], int] = {
    NotFound: 404,
    InvalidParameter: 400,
    InvalidBody: 422,
    NotAcceptable: 406,
    NotAStore: 409,
    BodyTooLarge: 413,
    BodyTimeout: 408,
    ResultsUnavailable: 503,
    InputError: 400,
    ResultsError: 500,
}


def status_for(exc: Exception) -> int:
    """The HTTP status of ``exc`` from :data:`STATUS_BY_ERROR` (500 when not listed)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_response(
    status: int, code: str, description: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    """A JSON error answer."""
    body: dict[str, Any] = {"code": code, "description": description}
    if errors:
        body["errors"] = errors
    return Response(
        orjson.dumps(body, default=str), status_code=status, media_type="application/json"
    )


def response_for(exc: Exception) -> Response:
    """The JSON answer to ``exc`` (status from :data:`STATUS_BY_ERROR`)."""
    status = status_for(exc)
    if status == 500:  # 503 (results unavailable) is logged where it is found, not per request
        log.error("server error: %s", exc)
    code = getattr(exc, "code", InvalidParameter.code if status == 400 else "Error")
    response = error_response(status, code, str(exc), getattr(exc, "errors", None))
    headers = getattr(exc, "headers", None)
    if headers:
        response.headers.update(headers)
    return response


def _loc_text(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc) or "input"


def _validation_response(exc: RequestValidationError) -> Response:
    """Query, path and header mistakes -> 400 (404 for a path that names nothing);
    body mistakes -> 422 naming the field."""
    errors = list(exc.errors())
    places = {str(e.get("loc", ("",))[0]) for e in errors}
    if "body" in places:
        listed = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in errors
        ]
        text = "; ".join(f"{_loc_text(e['loc'][1:])}: {e['msg']}" for e in listed)
        return error_response(
            422, InvalidBody.code, f"The request body cannot be used: {text}.", listed
        )
    text = "; ".join(f"{_loc_text(e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in errors)
    if places == {"path"}:
        return error_response(404, NotFound.code, f"Nothing at this path: {text}.")
    return error_response(400, InvalidParameter.code, f"Invalid parameter: {text}.")


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to a JSON answer through :data:`STATUS_BY_ERROR`."""

    async def on_api_error(_request: Request, exc: Exception) -> Response:
        return response_for(exc)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _validation_response(exc)

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_response(404, NotFound.code, "No resource at this path.")
        if exc.status_code == 405:
            resp = error_response(405, "MethodNotAllowed", "This method is not allowed here.")
            if exc.headers:
                resp.headers.update(exc.headers)
            return resp
        return error_response(exc.status_code, "HTTPError", str(exc.detail))

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected server error", exc_info=exc)
        return error_response(500, "ServerError", "The service failed; see its log.")

    app.add_exception_handler(ResultsError, on_api_error)
    app.add_exception_handler(InputError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
