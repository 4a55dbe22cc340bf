"""One fixed, colour-blind-safe colour per parcel status, shared by every output that draws
parcels (the offline map, the QGIS style of the GeoPackage, the ``.qml`` and ``.sld`` files).

The ten statuses take the ten colours of Paul Tol's *muted* qualitative scheme (designed to
stay distinguishable with every common colour-vision deficiency and in greyscale print), with
``unverified`` (待核查, nothing known yet) in Tol's pale grey for missing data. The warm, dark
colours go to the statuses that cost money or land (recovery, idle fee), the greens and blues
to parcels in order. The mapping never changes between outputs, so a printed map, the legend,
a QGIS layout and a screenshot in a report mean the same thing.
"""

from __future__ import annotations

from landuse.schema import STATUS_ORDER, Status

#: Fill colour of each status (``#rrggbb``), in the status precedence order.
STATUS_COLOURS: dict[str, str] = {
    Status.RECOVERY.value: "#882255",  # wine
    Status.IDLE_FEE.value: "#CC6677",  # rose
    Status.GOV_DELAY.value: "#AA4499",  # purple
    Status.LATE_START.value: "#DDCC77",  # sand
    Status.UNVERIFIED.value: "#DDDDDD",  # pale grey (Tol: "bad data")
    Status.LATE_COMPLETION.value: "#999933",  # olive
    Status.BELOW_THRESHOLD.value: "#332288",  # indigo
    Status.INSUFFICIENT_DATA.value: "#44AA99",  # teal
    Status.ON_TRACK.value: "#88CCEE",  # cyan
    Status.COMPLIANT.value: "#117733",  # green
}
#: Outline of every parcel (dark grey: keeps pale fills visible on a white page).
PARCEL_STROKE = "#333333"
#: Park boundary line colour.
PARK_STROKE = "#222222"

if set(STATUS_COLOURS) != set(STATUS_ORDER):  # pragma: no cover - a programming error
    raise RuntimeError("every status needs a colour")
