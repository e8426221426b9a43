"""Generation: teacher responses for curated problems that have no usable existing trace.

`selection` (who needs another sample), `prompts`, `driver` (checkpointed batches), `tables`/`schemas` (the
contract), `assets` and `checks` (the Dagster side). Importing the package imports none of them.
"""
