"""Extraction: readers of the input formats, cleaning, and the facets found in an article's text (title, date,
outlet, people), ending in the Article record; ingest runs them with deduplication and a report."""
