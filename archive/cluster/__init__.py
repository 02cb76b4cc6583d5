"""The scale-out on a Dask cluster: a sharded index built (build.py) and searched (search.py) by Dask workers, the
connection to the scheduler and its errors (connect.py). Nothing here runs without `--scheduler ADDRESS` (or
NEWS_ARCHIVE_SCHEDULER): the product's default is one process, no cluster."""
