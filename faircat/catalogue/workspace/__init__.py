"""What people and scripts read of their own data: experiments, datasets, files, parameters.

The portal's pages and the JSON API read through these modules (the same query behind HTML and
JSON), each query filtered by the access policy's SQL twin, ``access.readable_clause``.
"""
