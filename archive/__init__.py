"""A searchable archive of Arabic news.

Data flows one way: readers -> extract -> Article -> indexer -> Whoosh index; searcher answers queries.
"""

__version__ = "0.1.0"
