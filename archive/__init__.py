"""A searchable archive of Arabic news.

Data flows one way, one sub-package a layer:

    text/        Arabic character sets, normalization, stemming, the analyzer
    extract/     readers -> cleaning, dates, outlets, people -> Article (archive/article.py); ingest
    index/       schema, storage layout (store), Whoosh internals (whoosh_io), writer and its index processes
    search/      query -> engine over arrays -> results; suggestions, related articles; the Archive facade
    interfaces/  the command line and the app's state (app.py presents)
"""

__version__ = "0.1.0"
