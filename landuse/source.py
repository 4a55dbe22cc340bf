"""The results source: the one way the service (``api/``) and the map (``maps/``) read results.

A :class:`ResultsSource` holds one or more *runs* of the analysis (a results file holds one;
a store of runs, ``landuse analyse --store``, holds every run recorded in it). Asking it for a
run gives a :class:`ResultsView`: the results of that run, which never change, with the
operations the service and the map need (match and page, one feature, a vector tile, summaries
per park, park outlines, the parcels' columns for the map) and a validator (``etag``) for HTTP
caching. A source that keeps inspection findings (a store of runs) gives an
:class:`InspectionLog` too. Routes and the map use only these classes, never an
implementation's internals.

Implementations: :class:`api.store.FileSource` (a results file, GeoPackage or GeoParquet, held in
memory with indexes) and :class:`api.store.RunStoreSource` (a store of runs, one SQLite file).
A database implementation (PostGIS) implements the same methods with SQL: every method below
says what it returns in terms a query can produce (counts, rows, ``ST_AsMVT`` bytes), and
nothing here assumes the data is in memory.

Errors are the classes below: :class:`NotFound` (no such run, collection, feature or park: a
404 to the service), :class:`InvalidQuery` (a malformed run, datetime, filter or sort: 400),
:class:`ResultsUnavailable` (the results cannot be read now: 503; also an
:class:`~landuse.errors.InputError`, so ``landuse serve`` shows it as a user's mistake). Each
message names what was asked and what is there.

This module imports neither FastAPI nor folium, nor any implementation.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from landuse.errors import InputError

#: CRS of every geometry a view hands out: OGC:CRS84 (longitude, latitude).
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: The collections every view offers.
COLLECTIONS: tuple[str, ...] = ("parcels", "parks")

BBox = tuple[float, float, float, float]


# --------------------------------------------------------------------------- errors


class ResultsError(Exception):
    """Base of the results source's errors: ``code`` is the OGC API exception code, the
    message is for a person (what was wrong and how to fix it)."""

    code = "ServerError"
    #: Headers an HTTP answer to this error carries (none by default).
    headers: dict[str, str] | None = None

    def __init__(self, description: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.errors = errors


class NotFound(ResultsError):
    """No such run, collection, feature, park or tile."""

    code = "NotFound"


class InvalidQuery(ResultsError):
    """A query that cannot be answered as given: a malformed run id or datetime, a filter on a
    property that is not queryable, a sort key that is not a property."""

    code = "InvalidParameterValue"


class ResultsUnavailable(ResultsError, InputError):
    """The results cannot be read now (missing, unreadable, not results).

    To the service it is a 503 (the results may come back); to ``landuse serve`` at start-up
    it is the user's mistake (an :class:`InputError`: message, exit code 2)."""

    code = "ResultsUnavailable"


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class InputFile:
    """One file a run read: how the command named it (``role``: INPUT, --ledger, --parks,
    --inspections), its path as given, its SHA-256 (hex) and its size in bytes."""

    role: str
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class RunInfo:
    """What is known of one run.

    ``run_id``: a positive integer, unique in its source, increasing with ``recorded_at``.
    ``as_of_date``: the evaluation date (``YYYY-MM-DD``). ``recorded_at``: when the run was
    recorded (ISO 8601, UTC; for a results file, its modification time). ``parcels`` and
    ``rejects``: row counts (``rejects`` None when unknown). ``inputs``: the files read, with
    their hashes (empty when unknown). ``rules_sha256``: hash of the rules text (None for the
    national defaults or when unknown).
    """

    run_id: int
    as_of_date: str | None
    recorded_at: str | None
    parcels: int
    rejects: int | None = None
    inputs: tuple[InputFile, ...] = ()
    rules_sha256: str | None = None

    def document(self) -> dict[str, Any]:
        """The run as a JSON-ready dict."""
        return {
            "run": self.run_id,
            "as_of_date": self.as_of_date,
            "recorded_at": self.recorded_at,
            "parcels": self.parcels,
            "rejects": self.rejects,
            "inputs": [
                {"role": f.role, "path": f.path, "sha256": f.sha256, "size": f.size}
                for f in self.inputs
            ],
            "rules_sha256": self.rules_sha256,
        }


def parse_run_id(text: str) -> int:
    """A run id given as text (a query parameter); :class:`NotFound` when it cannot be one."""
    value = text.strip()
    if value.isascii() and value.isdigit() and 0 < len(value) <= 18 and int(value) > 0:
        return int(value)
    raise NotFound(f"run={text!r}: no such run. Run ids are positive integers; see /runs.")


def parse_datetime(text: str) -> dt.datetime:
    """``datetime`` as a query gives it: one date (``2025-12-31``) or date-time
    (``2025-12-31T08:00:00Z``), read as UTC when it carries no offset; :class:`InvalidQuery`
    for anything else (intervals included: a run is chosen by one instant)."""
    value = text.strip()
    if "/" in value:
        raise InvalidQuery(
            f"datetime={text!r}: give one date or date-time, e.g. datetime=2025-12-31; "
            "intervals do not choose a run."
        )
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidQuery(
            f"datetime={text!r}: not a date. Write YYYY-MM-DD or an RFC 3339 date-time, e.g. "
            "datetime=2025-12-31 or datetime=2025-12-31T08:00:00Z."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def choose_run(runs: Sequence[RunInfo], run: str | None, datetime: str | None) -> RunInfo:
    """The run a request asks for, among ``runs`` (any order).

    ``run``: that run id. ``datetime``: the run whose as-of date is the latest on or before
    that date (the situation as it was then; of two runs as of the same date, the one
    recorded last). Neither: the latest as-of date (recorded last among equals). Both:
    :class:`InvalidQuery`. No run matches: :class:`NotFound` naming the runs there are.
    """
    if run is not None and datetime is not None:
        raise InvalidQuery("Give run or datetime, not both.")
    if not runs:
        raise NotFound("No run has been recorded yet: run `landuse analyse ... --store PATH`.")

    def order(r: RunInfo) -> tuple[str, str, int]:
        return (r.as_of_date or "", r.recorded_at or "", r.run_id)

    listed = ", ".join(f"{r.run_id} (as of {r.as_of_date})" for r in sorted(runs, key=order))
    if run is not None:
        wanted = parse_run_id(run)
        for r in runs:
            if r.run_id == wanted:
                return r
        raise NotFound(f"run={run}: no such run; the runs are {listed}.")
    if datetime is not None:
        day = parse_datetime(datetime).date().isoformat()
        before = [r for r in runs if r.as_of_date is not None and r.as_of_date <= day]
        if not before:
            raise NotFound(
                f"datetime={datetime}: no run is as of {day} or earlier; the runs are {listed}."
            )
        return max(before, key=order)
    return max(runs, key=order)


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class Query:
    """A request for features of one collection.

    ``filters``: property name -> value, equality on queryable properties (booleans as
    bool). ``bbox``: CRS84 ``(min lon, min lat, max lon, max lat)``, features intersecting
    it (a box with min lon > max lon crosses the antimeridian); features without a geometry
    never match. ``sortby``: property names, ``-name`` for descending; features keep their id
    order otherwise and among equal keys; nulls last. ``limit``/``offset``: the page.
    """

    filters: Mapping[str, Any] = field(default_factory=dict)
    bbox: BBox | None = None
    sortby: tuple[str, ...] = ()
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Page:
    """Features of a query: ``number_matched`` (all of them), then this page's ``ids``,
    ``geometries`` (shapely, CRS84, None where a feature has none) and ``properties``
    (typed values: numbers, booleans, dates as ``YYYY-MM-DD`` text, None for null)."""

    number_matched: int
    ids: list[int]
    geometries: Sequence[Any]
    properties: list[dict[str, Any]]


@dataclass(frozen=True)
class CollectionInfo:
    """What describes a collection (no features).

    ``kinds``: property -> kind (string, number, integer, boolean, date, date-time).
    ``queryables``: the properties that take equality filters -> their values when few (an
    enum), else None. ``tile_fields``: properties written into vector tile features -> kind.
    ``bbox``: CRS84 extent of the features that have a geometry (None: none has one); given
    as a list, or as a function that computes it when first read (an extent may take the
    bounds of millions of features, which a page of features does not need).
    """

    id: str
    title: str
    description: str
    size: int
    without_geometry: int
    extent: list[float] | None | Callable[[], list[float] | None]
    kinds: dict[str, str]
    queryables: dict[str, list[Any] | None]
    tile_fields: dict[str, str]

    @property
    def bbox(self) -> list[float] | None:
        """CRS84 extent of the features that have a geometry (None: none has one)."""
        extent = self.extent
        return extent() if callable(extent) else extent


# --------------------------------------------------------------------------- the interface


class ResultsView(ABC):
    """The results of one run. They never change: anything derived from them may be cached
    under :attr:`etag`.

    Collections: ``parcels`` (every analysed parcel, all result columns) and ``parks`` (one
    feature per summary group: a park, else a region, else （未指定园区）, with its summary
    and outline). Feature ids are positive integers, stable within the run.
    """

    #: The run these results are.
    run: RunInfo
    #: A validator for HTTP caching: changes whenever other results would be served.
    etag: str

    @property
    def as_of(self) -> str | None:
        """The evaluation date of the results (``YYYY-MM-DD``)."""
        return self.run.as_of_date

    @abstractmethod
    def collections(self) -> list[CollectionInfo]:
        """Both collections, ``parcels`` first."""

    def collection(self, collection_id: str) -> CollectionInfo:
        """One collection (:class:`NotFound` naming those there are)."""
        for info in self.collections():
            if info.id == collection_id:
                return info
        raise NotFound(
            f"No collection {collection_id!r}; the collections are {', '.join(COLLECTIONS)}."
        )

    @abstractmethod
    def page(self, collection_id: str, query: Query) -> Page:
        """The page of features of ``query`` and how many match in all. A SQL implementation:
        ``WHERE`` from filters and ``bbox`` (``&&`` then ``ST_Intersects``), ``ORDER BY`` the
        sort keys then the id, ``LIMIT``/``OFFSET``, and a (cached) ``count(*)``.
        :class:`InvalidQuery` for a filter on a property that is not queryable or a sort key
        that is not a property."""

    @abstractmethod
    def feature(self, collection_id: str, feature_id: str) -> Page:
        """The one feature ``feature_id`` (as given in a path) as a page of one;
        :class:`NotFound` when there is none."""

    @abstractmethod
    def tile(self, collection_id: str, z: int, x: int, y: int) -> bytes:
        """Mapbox Vector Tile ``z/x/y`` (WebMercatorQuad) of the collection: one layer named
        after it, feature ids, the :attr:`CollectionInfo.tile_fields`; empty bytes when no
        feature is in the tile (``ST_AsMVT`` gives the same)."""

    def cached_tile(self, collection_id: str, z: int, x: int, y: int) -> bytes | None:
        """The tile when it is ready without work (a cache), else None."""
        return None

    @abstractmethod
    def park_summaries(self) -> Any:
        """A pandas DataFrame, one row per summary group (parks, then regions, then
        （未指定园区）): ``park`` (the group's name) and the fields of
        :data:`api.summaries.PARK_FIELDS`: parcels and hectares per status, confirmed amounts
        and the amounts that would apply to unverified (待核查) parcels apart (万元), intensity
        (万元/公顷), the as-of date."""

    def park_summary(self, park: str) -> Any:
        """The summary row (pandas Series) of one group; :class:`NotFound` naming the groups
        when no parcel is in it."""
        table = self.park_summaries()
        rows = table[table["park"] == park]
        if len(rows) == 0:
            raise NotFound(
                f"No park or region {park!r} in the results; the summary groups are "
                f"{', '.join(map(str, table['park']))}."
            )
        return rows.iloc[0]

    @abstractmethod
    def park_outlines(self) -> Any:
        """A pandas DataFrame of the outline of every park: ``park``, ``boundary_source``
        (``parks layer``: the boundary the results carry; ``hull of parcels``: the concave
        hull of its parcels) and ``geometry`` (shapely, CRS84): first the parks of the parks
        collection that have one, in its order, then the boundaries the results carry for
        parks none of whose parcels were analysed. Parks without a boundary nor a drawable
        parcel, and regions, have no row. The one definition of a park's outline: the parks
        collection and the map both use it."""

    @abstractmethod
    def parcel_table(self, columns: Sequence[str], *, geometry: bool = True) -> Any:
        """The parcels' ``columns`` (those the results have; others are left out) as a pandas
        DataFrame in feature-id order, plus ``geometry`` (shapely, CRS84, None where a parcel
        has none), or with ``geometry=False`` the boolean ``has_geometry`` instead (a map
        that draws the parcels from tiles). For the map: a small set of columns over every
        parcel."""


class InspectionLog(ABC):
    """Where a source keeps the inspection findings recorded through the service (``POST
    /inspections``) and the state of its 待核查 queue (who a parcel is assigned to, open or
    done). A store of runs keeps them in two SQLite tables
    (:class:`landuse.inspection_store.StoreInspectionLog`); a database keeps them in two
    tables of its own. Findings are checked before they are recorded
    (:func:`landuse.inspection_store.check_findings`, against the latest run's parcels read
    with :meth:`ResultsSource.run_columns`), and the queue is computed from the latest run's
    parcels, :meth:`findings` and :meth:`queue_state`
    (:func:`landuse.inspection_store.queue_items`)."""

    @abstractmethod
    def record(self, table: Any, *, source: str, recorded_by: str | None) -> list[int]:
        """Record the checked findings ``table`` (a pandas DataFrame) in one transaction, all
        or none, with when they were recorded; their ids (increasing)."""

    @abstractmethod
    def findings(self) -> Any:
        """Every finding recorded, oldest recorded first: a pandas DataFrame with the columns
        of :data:`landuse.inspection_store.COLUMNS` (dates as ``YYYY-MM-DD`` text)."""

    @abstractmethod
    def queue_state(self) -> dict[str, tuple[str | None, str, str | None, str | None]]:
        """Queue key (:func:`landuse.inspection_store.parcel_key`) -> (``assigned_to``,
        ``status`` open/done, ``updated_at``, ``updated_by``) of every parcel whose state was
        set."""

    @abstractmethod
    def set_queue(
        self, parcel: str, *, assigned_to: str | None, status: str | None, by: str | None
    ) -> None:
        """Assign the queued parcel ``parcel`` (its queue key) and/or set its status; what
        is not given (None) is kept."""


class ResultsSource(ABC):
    """Where results come from: one or more runs.

    ``view()`` without arguments gives the latest run (latest as-of date, then latest
    recorded); ``run`` and ``datetime`` choose another as :func:`choose_run` says. An
    implementation may keep recently used views in memory; a view stays valid for as long as
    a caller holds it, even when newer results arrive.
    """

    #: What the source serves, for titles and messages (a file name, a store's name).
    name: str = "results"

    @abstractmethod
    def runs(self) -> list[RunInfo]:
        """Every run, oldest recorded first (:class:`ResultsUnavailable` when the source
        cannot be read now)."""

    @abstractmethod
    def view(self, run: str | None = None, datetime: str | None = None) -> ResultsView:
        """The results of one run (see :func:`choose_run`; :class:`NotFound`,
        :class:`InvalidQuery`, :class:`ResultsUnavailable`). May block while results load."""

    def fresh_view(self) -> ResultsView | None:
        """The latest run's view when it is ready without blocking (for async handlers that
        must not wait on a load), else None."""
        return None

    def run_columns(self, run: RunInfo, columns: Sequence[str]) -> Any:
        """Some columns of one run's parcels as a pandas DataFrame (those the run has), for
        work over many runs (rankings, comparisons) that needs no view of each run. By default
        through the run's view; a store reads the columns alone (SQL: one ``SELECT``)."""
        view = self.view(run=str(run.run_id))
        return view.parcel_table(columns, geometry=False).drop(columns="has_geometry")

    @property
    def multiple_runs(self) -> bool:
        """Whether the source can hold more than one run (a store of runs)."""
        return False

    def inspections(self) -> InspectionLog | None:
        """Where the findings recorded through the service are kept; None when the source
        keeps none (a results file: the service answers the inspection routes 409)."""
        return None


__all__ = [
    "CRS84",
    "COLLECTIONS",
    "BBox",
    "CollectionInfo",
    "InputFile",
    "InspectionLog",
    "InvalidQuery",
    "NotFound",
    "Page",
    "Query",
    "ResultsError",
    "ResultsSource",
    "ResultsUnavailable",
    "ResultsView",
    "RunInfo",
    "choose_run",
    "parse_datetime",
    "parse_run_id",
]
