"""Audits: the dbt project in dbt_models/ loaded as Dagster assets (models) and asset checks (dbt tests).

Kept free of imports: dbt imports `amd_assets.audits.delta_source` as a plugin in its own process.
"""
