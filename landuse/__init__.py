"""Land-use efficiency analysis for Chinese industrial parks."""

__version__ = "0.1.0"
