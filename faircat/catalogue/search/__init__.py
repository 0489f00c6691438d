"""Search over datasets, for the portal and the JSON API alike.

text.py (pure: words of documents and queries), units.py (pure: units and canonical values,
with pint), query.py (pure: a search from URL arguments, every problem a ValidationError),
documents.py (the search document of each dataset: built at ingest and by reindexing),
executor.py (one search: rows, total and the next-page token, computed over what the caller
may read), facets.py (facet values and their counts), hits.py (what is shown of each dataset
found), payload.py (a result as JSON, for the API), reindex.py (the rebuild behind
``faircat search reindex``).
"""
