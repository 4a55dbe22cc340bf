"""The map's user mistakes."""

from landuse.errors import InputError


class MapInputError(InputError, ValueError):
    """A map cannot be drawn from what the user gave (not a results file, an unknown park or
    language, a bad basemap, an output that is not HTML). An :class:`InputError`, so the CLI
    prints it without a traceback; also a ValueError, as these mistakes were before."""
