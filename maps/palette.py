"""The map's colours: the status palette of :mod:`landuse.palette` (shared with the QGIS style
of the GeoPackage output) and the colours only the map uses.

Every status keeps its colour on every map; a status value the map does not know is drawn in
mid grey under :data:`OTHER_STATUS`.
"""

from __future__ import annotations

from landuse.palette import PARCEL_STROKE, PARK_STROKE, STATUS_COLOURS
from landuse.schema import STATUS_ORDER, Status

__all__ = [
    "CHANGE_COLOURS",
    "IDLE_BAR",
    "OTHER_COLOUR",
    "OTHER_STATUS",
    "OVERDUE_BAR",
    "PARCEL_STROKE",
    "PARK_STROKE",
    "STATUS_COLOURS",
    "STATUS_KEYS",
    "colours",
    "status_colour",
]

#: Key of the bucket for a status value the map does not know (drawn in mid grey).
OTHER_STATUS = "other"
OTHER_COLOUR = "#777777"
#: Bar colours of the idle / overdue chart.
IDLE_BAR = STATUS_COLOURS[Status.RECOVERY.value]
OVERDUE_BAR = STATUS_COLOURS[Status.LATE_COMPLETION.value]

#: Outline colour of each kind of change between runs (:data:`landuse.diff.CHANGE_KINDS`):
#: saturated colours, apart from the status fills they are drawn around.
CHANGE_COLOURS: dict[str, str] = {
    "newly_recovery": "#E4002B",  # red
    "newly_idle": "#FF7F00",  # orange
    "newly_late": "#D400FF",  # magenta
    "newly_unverified": "#0061FF",  # blue
    "resolved": "#00C853",  # bright green
    "other": "#000000",  # black
}

#: Every status key the map draws, in legend order.
STATUS_KEYS: tuple[str, ...] = (*STATUS_ORDER, OTHER_STATUS)


def status_colour(status: str) -> str:
    """The fill colour of ``status`` (mid grey for a value outside :data:`STATUS_ORDER`)."""
    return STATUS_COLOURS.get(status, OTHER_COLOUR)


def colours() -> dict[str, str]:
    """Every status key (including :data:`OTHER_STATUS`) and its colour."""
    return {**STATUS_COLOURS, OTHER_STATUS: OTHER_COLOUR}
