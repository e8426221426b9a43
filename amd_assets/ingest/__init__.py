"""Ingest: read each registered source, keep its rows with lineage, map them onto the canonical problem.

`readers` (file formats), `raw` (rows with lineage, quarantine), `normalize` (the field mapping), `assets` and
`checks` (the Dagster side). Importing the package imports none of them.
"""
