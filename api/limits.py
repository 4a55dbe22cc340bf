"""Pure ASGI middleware guarding the service against bodies it should not read and methods it
should answer: :class:`BodyLimits` (size cap and arrival deadline of request bodies) and
:class:`HeadAsGet` (HEAD answered wherever GET is).

Both work on the ASGI messages as they pass, so nothing is buffered: a body is counted while
the route reads it, never read ahead into memory.
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTimeout, BodyTooLarge, response_for


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server rejects a malformed length before we see it
    return None


def _too_large(size: str, most: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"请求体过大 Request body too large: {size}; this service accepts at most "
        f"{most:,} bytes per request (LANDUSE_MAX_BODY_BYTES). Send fewer projects or "
        "inspection findings per request (split a large 待核查 form)."
    )


class BodyLimits:
    """Cap request bodies at ``max_bytes`` and give them ``timeout_s`` seconds to arrive.

    A ``Content-Length`` above the cap is answered 413 at once, before any of the body is
    read. A body without a length (chunked) is counted as the route reads it: the read that
    passes the cap raises :class:`~api.errors.BodyTooLarge` (413). A body that stops short of
    its length, or trickles in, raises :class:`~api.errors.BodyTimeout` (408) once
    ``timeout_s`` have passed since the route began reading it. Both answers close the
    connection (the rest of the body is never read). Waiting for a disconnect after the body
    (streaming answers do) is not timed.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        most = self.max_bytes
        length = _content_length(scope)
        if length is not None and length > most:
            await response_for(_too_large(f"Content-Length {length:,} bytes", most))(
                scope, receive, send
            )
            return

        received = 0
        done = False
        deadline: float | None = None
        timeout_s = self.timeout_s

        async def limited() -> Message:
            nonlocal received, done, deadline
            if done:
                return await receive()
            if deadline is None:
                deadline = anyio.current_time() + timeout_s
            message: Message | None = None
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
            if message is None:
                raise BodyTimeout(
                    f"请求体超时 Request body timed out: {received:,} bytes arrived"
                    + (f" of the {length:,} announced" if length is not None else "")
                    + f" in {timeout_s:g} s (LANDUSE_BODY_TIMEOUT_S). Send the whole body "
                    "at once, with a Content-Length that matches it."
                )
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > most:
                    raise _too_large(f"more than {most:,} bytes (chunked)", most)
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        await self.app(scope, limited, send)


class HeadAsGet:
    """Answer ``HEAD`` wherever ``GET`` is answered: the route runs as for ``GET`` and the
    answer keeps its status and headers (``Content-Length`` included) without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
