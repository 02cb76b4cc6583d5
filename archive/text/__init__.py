"""Text analysis: Arabic character sets, normalization, light stemming and the Whoosh analyzer built on them.
Pure functions over strings; the same code serves indexing, querying and highlighting."""
