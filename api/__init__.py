"""HTTP service over analysis results (OGC API - Features, tiles, screening)."""
