"""Shared helpers of the map tests (no tests here): headless Chromium with its network limited
to loopback, a recorder of every request and console message, the sample park's results, and
the real API app served by uvicorn on a loopback port.

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright's Python client (no browser is
downloaded). Without it the browser tests are skipped, except under CI (``CI`` set), where
they fail: CI installs Chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
AS_OF = dt.date(2025, 12, 31)

#: Flags that work on this machine, plus a network limited to loopback: every host name but
#: localhost resolves to nothing and every non-loopback connection goes to a dead proxy.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail under CI) when it is not installed."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine: file:, data:, blob:, about: or loopback."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOOPBACK_HOSTS


@dataclass
class Recorder:
    """Everything a page asked for or complained about."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, context: Any, page: Any) -> None:
        """Record the requests of ``context`` and the console of ``page``."""
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def outside(self) -> list[str]:
        """Requested URLs that would leave the machine."""
        return [u for u in self.requests if not is_local(u)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = chromium_path()
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def wait_for(page: Any, expression: str, timeout_s: float = 15.0) -> None:
    """Poll until the JavaScript ``expression`` is truthy in ``page``.

    ``page.wait_for_function`` polls with ``new Function`` inside the page, which the page's
    Content-Security-Policy (no ``unsafe-eval``) forbids; ``page.evaluate`` is not affected.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"() => !!({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(20)


@contextmanager
def open_page(
    browser: Any, url: str, *, init_script: str | None = None, wait: str | None = None
) -> Iterator[tuple[Any, Recorder]]:
    """A fresh context and page at ``url`` (1400x900), recording requests and errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    rec = Recorder()
    rec.attach(context, page)
    if init_script:
        page.add_init_script(init_script)
    try:
        page.goto(url, wait_until="load")
        wait_for(page, wait or "window.LU_MAP !== undefined")
        yield page, rec
    finally:
        context.close()


# --------------------------------------------------------------------------- results


def rewrite_results(
    src: Path, dst: Path, change: Callable[[Any, Any], tuple[Any, Any]] | None = None
) -> Path:
    """Copy a results GeoPackage, letting ``change(parcels, parks)`` edit the layers; the
    summary layer is rebuilt from the changed parcels."""
    import pyogrio

    from landuse.workbook import summary_table

    parcels = pyogrio.read_dataframe(src, layer="parcels")
    parks = pyogrio.read_dataframe(src, layer="parks")
    if change is not None:
        parcels, parks = change(parcels, parks)
    pyogrio.write_dataframe(parcels, dst, layer="parcels")
    pyogrio.write_dataframe(parks, dst, layer="parks")
    pyogrio.write_dataframe(summary_table(parcels), dst, layer="summary")
    return dst


# --------------------------------------------------------------------------- the API


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a loopback port in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def api_app(results: Path, path: str = "/map", **map_options: Any) -> Any:
    """The real API (``api.app.create_app``) on ``results``, with the map page mounted at
    ``path`` by :func:`maps.mount_map` unless the app already serves that path."""
    import maps
    from api.app import create_app
    from api.settings import Settings

    settings: dict[str, Any] = {"results_path": results}
    if path == "/map" and set(map_options) <= {"tile_threshold", "basemap"}:
        # the app mounts /map itself; its options come from the settings
        if "tile_threshold" in map_options:
            settings["map_tile_threshold"] = map_options["tile_threshold"]
        if "basemap" in map_options:
            settings["map_basemap"] = map_options["basemap"]
        return create_app(Settings(**settings))
    app = create_app(Settings(**settings))
    maps.mount_map(app, path=path, **map_options)
    return app


def parcel_screen_point(page: Any, lon: float, lat: float) -> dict[str, float]:
    """The page position (x, y) of a longitude/latitude on the map."""
    return page.evaluate(
        "([lat, lon]) => { const p = LU_MAP.latLngToContainerPoint([lat, lon]);"
        " const r = LU_MAP.getContainer().getBoundingClientRect();"
        " return {x: p.x + r.left, y: p.y + r.top}; }",
        [lat, lon],
    )
