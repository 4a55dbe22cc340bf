"""The date limits of the data model, in the standard library only (the rules file reads them
without loading the vectorised parsers of :mod:`landuse.parsing`)."""

from __future__ import annotations

import datetime as dt

# The plausible dates of a land-supply record unless the rules file's [dates] table says
# otherwise (landuse/default_rules.toml holds the same values).
DEFAULT_EARLIEST = dt.date(1949, 1, 1)
DEFAULT_LATEST = dt.date(2100, 12, 31)
# The whole days ``datetime64[ns]`` (the dtype of every date column) can hold.
NS_FIRST_DAY = dt.date(1677, 9, 22)
NS_LAST_DAY = dt.date(2262, 4, 11)
# The widest plausible-date limits a rules file may set: the analysis adds years and
# extensions to dates, and its results must stay within what datetime64[ns] holds.
LIMITS_FIRST_DAY = dt.date(1900, 1, 1)
LIMITS_LAST_DAY = dt.date(2200, 12, 31)
