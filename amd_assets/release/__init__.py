"""Release: the global `release` asset (files, card, manifest), the `release_rows` table it writes (one partition
per version) and its gates.

`build` (pinning, folder, rows), `files`, `card`, `manifest`, `tables`/`schemas` (the contract), `assets` and
`checks` (the Dagster side). Importing the package imports none of them.
"""
