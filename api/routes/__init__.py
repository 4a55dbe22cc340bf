"""One router per resource: landing & conformance, collections, items, tiles, screening, parks."""
