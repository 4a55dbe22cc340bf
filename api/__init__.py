"""HTTP service over analysis results (OGC API - Features, tiles, screening).

``create_app(Settings(results_path=...))`` builds the FastAPI app; ``serve(path, host, port)``
runs it with uvicorn (``landuse serve RESULTS``).
"""

from api.app import create_app, serve
from api.settings import Settings

__all__ = ["Settings", "create_app", "serve"]
