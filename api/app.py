"""The app factory :func:`create_app` and :func:`serve` (uvicorn), used by ``landuse serve``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.limits import BodyLimits, HeadAsGet
from api.routes import collections, inspections, items, landing, parks, runs, screening, tiles
from api.screener import ScreeningWorkers
from api.settings import Settings
from api.store import FileSource, RunStoreSource, StoreProvider, check_results_file
from landuse import __version__
from landuse.rules_file import load_rules
from landuse.source import ResultsError, ResultsSource

log = logging.getLogger("landuse.api")


def source_for(settings: Settings, provider: StoreProvider | None = None) -> ResultsSource:
    """The results source ``settings`` name: a store of runs (``store_path``) or a results
    file (``results_path``; ``provider``: one that already loaded it)."""
    if settings.store_path is not None:
        return RunStoreSource(settings)
    return FileSource(settings, provider)


def create_app(
    settings: Settings,
    *,
    provider: StoreProvider | None = None,
    source: ResultsSource | None = None,
) -> FastAPI:
    """A FastAPI app serving the results of ``settings`` (a results file or a store of runs).

    The rules file is read now (a bad one fails here, with the CLI's message); the latest
    results are loaded when the app starts (its lifespan), then reloaded whenever they change
    on disk. Until readable results are there, the routes that need them answer 503.
    ``provider``: a store provider of ``settings`` that already loaded the results file;
    ``source``: a results source to serve instead of the one ``settings`` name (both for
    :func:`serve`).
    """
    rules = load_rules(settings.rules_path)
    source = source if source is not None else source_for(settings, provider)
    screening_workers = ScreeningWorkers(rules, settings.screening_processes)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        screening_workers.start()
        try:
            try:
                await run_in_threadpool(source.view)
            except ResultsError as exc:
                # no traceback: the service starts and answers 503 naming the file until a
                # results file is there (`serve` checks the file before it gets here)
                log.error("%s", exc)
            yield
        finally:
            await run_in_threadpool(screening_workers.close)

    app = FastAPI(
        title=settings.title,
        description=settings.description,
        version=__version__,
        openapi_url=None,  # served as OpenAPI 3.0 at /api (see api.routes.landing)
        docs_url=None,  # /api.html instead: no scripts from a CDN on an offline intranet
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.source = source
    app.state.provider = getattr(source, "provider", None)
    app.state.rules = rules
    app.state.screening = screening_workers
    app.state.extra_schemas = dict(screening.SCHEMAS)
    install_error_handlers(app)
    # Outermost last: CORS headers go on every answer (a 413 included), then the body limits,
    # then HEAD handled as GET.
    app.add_middleware(HeadAsGet)
    app.add_middleware(
        BodyLimits, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["*"],
        )
    app.include_router(landing.build_router())
    app.include_router(collections.build_router())
    app.include_router(items.build_router(settings))
    app.include_router(tiles.build_router(settings))
    app.include_router(screening.build_router(settings))
    app.include_router(parks.build_router())
    app.include_router(runs.build_router())
    app.include_router(inspections.build_router())
    # the leadership map page (GET /map) and its packaged assets; maps only reads results
    from maps import mount_map

    mount_map(
        app,
        tile_threshold=settings.map_tile_threshold,
        basemap=settings.map_basemap,
    )
    return app


def create_app_from_env() -> FastAPI:
    """:func:`create_app` with settings from the environment (``LANDUSE_*``); the factory
    uvicorn's worker processes import."""
    return create_app(Settings())  # results_path or store_path from the environment


def serve(
    results_path: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    rules_path: str | Path | None = None,
    workers: int | None = None,
    log_level: str = "info",
    on_ready: Callable[[], None] | None = None,
    store_path: str | Path | None = None,
) -> None:
    """Serve ``results_path`` (or the store of runs ``store_path``) with uvicorn until
    interrupted (blocking).

    Other settings come from the environment (``LANDUSE_*``). The rules file is read and the
    results file checked (one worker: loaded) before uvicorn starts, so a file that is not a
    results file ends at once with :class:`~landuse.errors.InputError` (what ``landuse serve``
    prints, exit 2), never with a traceback from the server's start-up. With more than one
    worker each process loads the results itself. ``on_ready`` is called once all of that
    succeeded, just before the server starts (``landuse serve`` then says where it serves).
    """
    import os

    import uvicorn

    overrides: dict[str, object] = {"host": host, "port": port}
    # both given explicitly, so that a LANDUSE_RESULTS_PATH or LANDUSE_STORE_PATH left in the
    # environment does not add the other one
    overrides["store_path"] = Path(store_path) if store_path is not None else None
    overrides["results_path"] = (
        Path(results_path) if results_path is not None and store_path is None else None
    )
    if rules_path is not None:
        overrides["rules_path"] = Path(rules_path)
    if workers is not None:
        overrides["workers"] = workers
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.results_path is not None:
        check_results_file(settings.results_path)
    else:
        from landuse.runstore import check_store

        check_store(settings.store_path)  # type: ignore[arg-type]
    load_rules(settings.rules_path)  # a bad rules file fails here, before anything starts
    server_options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "timeout_keep_alive": settings.keep_alive_s,
        "limit_concurrency": settings.max_connections,
        "timeout_graceful_shutdown": 10,
    }
    if settings.workers > 1:
        if settings.store_path is not None:
            os.environ["LANDUSE_STORE_PATH"] = str(settings.store_path)
        else:
            os.environ["LANDUSE_RESULTS_PATH"] = str(settings.results_path)
        if settings.rules_path is not None:
            os.environ["LANDUSE_RULES_PATH"] = str(settings.rules_path)
        if on_ready is not None:
            on_ready()
        uvicorn.run(
            "api.app:create_app_from_env",
            factory=True,
            workers=settings.workers,
            **server_options,
        )
        return
    # Load now: a bad file fails here, before the app (and its background work) starts.
    source = source_for(settings)
    source.view()
    app = create_app(settings, source=source)
    if on_ready is not None:
        on_ready()
    uvicorn.run(app, **server_options)
