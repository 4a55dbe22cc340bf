"""Screening request bodies: parse and validate them (:func:`parse_projects`), screen and
serialise them (:func:`answer`), in a child process (:class:`ScreeningWorkers`).

Why a child process: parsing, validating and screening 5,000 projects is about 0.2 s of
Python work that holds the GIL most of the time. In a thread of the server it takes the GIL
from every other request, and on a busy machine a GIL holder that the OS preempts stalls the
whole server for a time slice or more (item pages were measured 40-100 ms behind screenings,
against 3 ms idle). A child process has its own interpreter: the server hands it the raw body
through a pipe and sends back the bytes it returns.

The child is ``python -m api.screener`` (not :mod:`multiprocessing`, whose children re-run the
parent's main script), speaking a small length-prefixed protocol on its stdin and stdout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from typing import IO, Any

import orjson
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.errors import InvalidBody
from landuse.rules_file import RuleSet
from landuse.screening import ProposedProject, screen_records

log = logging.getLogger("landuse.api")


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


def answer(raw: bytes, most: int, rules: RuleSet) -> bytes:
    """The JSON answer to a screening body: parse, validate, screen, serialise."""
    projects = parse_projects(raw, most)
    batch = projects if isinstance(projects, list) else [projects]
    verdicts = screen_records(batch, rules)
    return orjson.dumps(verdicts if isinstance(projects, list) else verdicts[0])


# --------------------------------------------------------------------------- the child process

_LENGTH = struct.Struct("<Q")
_REQUEST = struct.Struct("<QQ")  # most, body length
_REPLY = struct.Struct("<BQ")  # kind, payload length
_OK, _INVALID, _FAILED = 0, 1, 2


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError
    return data


def _child_main() -> None:
    """The child's loop: the rules first, then one body in, one answer out, until stdin
    closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print in the child goes to stderr, never into the protocol
    stdin = sys.stdin.buffer
    try:
        (size,) = _LENGTH.unpack(_read_exactly(stdin, _LENGTH.size))
        rules: RuleSet = pickle.loads(_read_exactly(stdin, size))
        while True:
            most, size = _REQUEST.unpack(_read_exactly(stdin, _REQUEST.size))
            raw = _read_exactly(stdin, size)
            try:
                kind, payload = _OK, answer(raw, most, rules)
            except InvalidBody as exc:
                kind = _INVALID
                payload = orjson.dumps({"description": exc.description, "errors": exc.errors})
            except Exception as exc:  # a fault of the service: the parent answers 500
                kind, payload = _FAILED, f"{type(exc).__name__}: {exc}".encode()
            out.write(_REPLY.pack(kind, len(payload)))
            out.write(payload)
            out.flush()
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return


class _Child:
    """One ``python -m api.screener`` process and its pipes (used by one thread at a time)."""

    def __init__(self, rules: bytes) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.screener"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.stdin.write(_LENGTH.pack(len(rules)) + rules)
        self.stdin.flush()

    def call(self, raw: bytes, most: int) -> tuple[int, bytes]:
        self.stdin.write(_REQUEST.pack(most, len(raw)))
        self.stdin.write(raw)
        self.stdin.flush()
        kind, size = _REPLY.unpack(_read_exactly(self.stdout, _REPLY.size))
        return kind, _read_exactly(self.stdout, size)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stdout.close()


class ScreeningWorkers:
    """Screens bodies in ``processes`` child processes, or in a worker thread of the server
    when ``processes`` is 0.

    :meth:`start` launches the children (they import in the background; the server does not
    wait); :meth:`close` ends them. A child that dies is replaced and the body sent again
    once. Callers bound the bodies in flight to ``processes`` (a semaphore in the route).
    """

    def __init__(self, rules: RuleSet, processes: int) -> None:
        self.rules = rules
        self.processes = processes
        self._pickled = pickle.dumps(rules)
        self._idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        self._children: list[_Child] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Launch the children (once)."""
        with self._lock:
            while len(self._children) < self.processes:
                child = _Child(self._pickled)
                self._children.append(child)
                self._idle.put(child)

    def close(self) -> None:
        """End the children."""
        with self._lock:
            children, self._children = self._children, []
            self._idle = queue.SimpleQueue()
        for child in children:
            child.close()

    def _replace(self, dead: _Child) -> _Child:
        log.warning(
            "a screening process ended unexpectedly (exit %s); starting a new one", dead.proc.poll()
        )
        dead.close()
        child = _Child(self._pickled)
        with self._lock:
            self._children = [c for c in self._children if c is not dead] + [child]
        return child

    def _call(self, raw: bytes, most: int) -> bytes:
        self.start()
        child = self._idle.get()
        try:
            try:
                kind, payload = child.call(raw, most)
            except (EOFError, BrokenPipeError, OSError):
                child = self._replace(child)
                kind, payload = child.call(raw, most)
        finally:
            self._idle.put(child)
        if kind == _OK:
            return payload
        if kind == _INVALID:
            doc = orjson.loads(payload)
            raise InvalidBody(doc["description"], errors=doc["errors"])
        raise RuntimeError(f"screening failed in the child process: {payload.decode()}")

    async def answer(self, raw: bytes, most: int) -> bytes:
        """The JSON answer to ``raw`` (raises :class:`InvalidBody` for a bad body)."""
        if self.processes <= 0:
            return await run_in_threadpool(answer, raw, most, self.rules)
        # the thread only waits on the pipe (no GIL held while the child works)
        return await run_in_threadpool(self._call, raw, most)


__all__ = ["ScreeningWorkers", "answer", "parse_projects"]


if __name__ == "__main__":
    _child_main()
