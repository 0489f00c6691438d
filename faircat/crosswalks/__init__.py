"""Crosswalks: pure functions from the public view of a record to every metadata format.

Input: the frozen dataclasses of :mod:`.view` (built by the catalogue). Output: bytes for the
files the publisher writes, lxml elements for OAI-PMH, dicts for the DataCite REST API and PaNOSC.
No I/O, no database, no network. A record missing something mandatory raises
:class:`faircat.errors.MetadataError` naming the record and the field.

Entry points (see docs/crosswalks.md):
- :mod:`.registry`: ``FORMATS``, ``get``, ``file_formats``, ``oai_formats``, ``oai_format``,
  ``metadata_files``, ``render_files``
- :mod:`.datacite`: ``to_datacite``, ``rest_body``; :mod:`.datacite_xml`: ``datacite_element``
- :mod:`.citations`: ``render_style``, ``citation_key``, ``cached_citation``, ``datacite_text``
- :mod:`.panosc`: ``dataset``, ``document``, ``instrument``; :mod:`.linkset`: ``page_links``
- :mod:`.urls`: ``landing_url``, ``metadata_url``, ``file_url``, ``doi_path``
"""
