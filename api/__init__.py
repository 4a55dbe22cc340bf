"""HTTP service over analysis results (OGC API - Features, tiles, screening).

``create_app(Settings(results_path=...))`` builds the FastAPI app; ``serve(path, host, port)``
runs it with uvicorn (``landuse serve RESULTS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app, serve
    from api.settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    # imported on first use, so that `python -m api.screener` (the screening process) does
    # not load the web app
    if name in ("create_app", "serve"):
        from api import app

        return getattr(app, name)
    if name == "Settings":
        from api.settings import Settings

        return Settings
    raise AttributeError(f"module 'api' has no attribute {name!r}")
