"""Settings of the HTTP service, read from the environment (prefix ``LANDUSE_``) or given in code.

Nothing is read at import time: :func:`api.app.create_app` takes a :class:`Settings` built by the
caller (the CLI, a test, ``serve``), so two apps in one process can serve two results files.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What the service serves and how.

    Every field can be set from the environment, e.g. ``LANDUSE_RESULTS_PATH=out.gpkg``,
    ``LANDUSE_MAX_LIMIT=5000``, ``LANDUSE_PORT=8080``.
    """

    model_config = SettingsConfigDict(env_prefix="LANDUSE_", extra="forbid", frozen=True)

    results_path: Path | None = Field(
        None,
        description="Results written by `landuse analyse --out`: a GeoPackage (.gpkg) or "
        "GeoParquet (.parquet) file. Give this or store_path.",
    )
    store_path: Path | None = Field(
        None,
        description="A store of runs written by `landuse analyse --store` (one SQLite file): "
        "its latest run is served, and any earlier one with `run` or `datetime`. Give this or "
        "results_path.",
    )
    run_cache_size: int = Field(
        2,
        ge=1,
        le=64,
        description="Runs of a store kept loaded in memory (least recently used go).",
    )
    rules_path: Path | None = Field(
        None, description="Rules file (TOML) for POST /screening; the national defaults when unset."
    )
    title: str = Field("工业用地利用效率 Land-use efficiency", description="Service title.")
    description: str = Field(
        "Analysed industrial parcels (idle land, late fees, investment intensity) as OGC API - "
        "Features, vector tiles, entrant screening and park summaries.",
        description="Service description shown on the landing page.",
    )
    default_limit: int = Field(100, ge=1, description="Items per page when `limit` is not given.")
    max_limit: int = Field(10_000, ge=1, description="Largest `limit` accepted for items.")
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` listens on.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes used by `serve`.")
    map_tile_threshold: int = Field(
        5000,
        ge=0,
        description="Above this many parcels the /map page draws them from vector tiles "
        "instead of inline GeoJSON.",
    )
    map_basemap: str | None = Field(
        None,
        description="Basemap of /map: none (default), `tianditu:KEY`, or an XYZ URL template of "
        "the bureau's own tile server.",
    )
    tile_extent: int = Field(4096, ge=256, le=65536, description="Vector tile extent (units).")
    tile_buffer: int = Field(
        64, ge=0, le=1024, description="Geometry kept beyond the tile edge, in tile units."
    )
    tile_min_zoom: int = Field(0, ge=0, le=24, description="Smallest zoom served.")
    tile_max_zoom: int = Field(22, ge=0, le=24, description="Largest zoom served.")
    tile_cache_size: int = Field(
        8192, ge=0, description="Encoded tiles kept in memory (least recently used are dropped)."
    )
    tile_cache_max_age: int = Field(
        300, ge=0, description="Cache-Control max-age of tiles, in seconds."
    )
    query_cache_size: int = Field(
        256, ge=0, description="Filter/bbox results (matched positions, counts) kept per file."
    )
    cors_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins allowed to call the API from a browser (web maps on another "
        'host); [] turns CORS off. From the environment as JSON, e.g. ["http://gis.local"].',
    )
    max_screening_batch: int = Field(
        5000, ge=1, description="Most proposed projects accepted in one POST /screening."
    )
    screening_processes: int = Field(
        1,
        ge=0,
        le=64,
        description="Child processes that screen POST /screening bodies (each about 150 MB), "
        "so that a 5,000-project screening never holds the server's GIL; 0 screens in a "
        "thread of the server instead.",
    )
    max_body_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest request body accepted, in bytes (413 beyond it, checked on "
        "Content-Length before reading and while a chunked body streams in). The default 4 MiB "
        "holds 5,000 screening projects with every field filled (about 1.2 MB; 2.5 MB with "
        "100-character Chinese project names).",
    )
    body_timeout_s: float = Field(
        15.0,
        gt=0,
        le=3600,
        description="Seconds a request body has to arrive in full once the service starts "
        "reading it; a body that stops short (or trickles in) gets 408 and the connection is "
        "closed.",
    )
    keep_alive_s: int = Field(
        5, ge=1, le=300, description="Seconds `serve` keeps an idle HTTP connection open."
    )
    max_connections: int = Field(
        200,
        ge=1,
        description="Connections `serve` handles at once (uvicorn's limit_concurrency); more "
        "get 503 until one ends.",
    )

    @model_validator(mode="after")
    def _limits_consistent(self) -> Settings:
        if (self.results_path is None) == (self.store_path is None):
            raise ValueError("give either results_path or store_path (one of them)")
        if self.default_limit > self.max_limit:
            raise ValueError(
                f"default_limit {self.default_limit} is above max_limit {self.max_limit}"
            )
        if self.tile_min_zoom > self.tile_max_zoom:
            raise ValueError(
                f"tile_min_zoom {self.tile_min_zoom} is above tile_max_zoom {self.tile_max_zoom}"
            )
        return self
