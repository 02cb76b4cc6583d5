"""Index writing and storage: the schema, the generation layout (store), every Whoosh internal (whoosh_io), and
the writer with its index processes. The search side imports only `store`, `schema` and `whoosh_io` from here."""
