"""Search: the query language, the engine over per-document arrays, suggestions, related articles, snippets,
result types and the `Archive` facade the interfaces use."""
