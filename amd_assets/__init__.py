"""amd: the asset graph of the verified reasoning-distillation pipeline, one package per stage family.

Where things go: a new source format → `ingest/readers.py`; a curation rule → `curation/filters.py`; a verifier →
a module in `verification/verifiers/` (see `verification/registry.py`); a table → a `TableContract` in the
stage's `tables` module and `contracts/catalogue.py`; a resource → `resources/` (wired in `resources.py`); an
environment setting → `settings.py`; a job → `jobs.py`; everything is assembled by `build.py:build_defs`.
"""
