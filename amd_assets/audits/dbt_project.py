"""The dbt project as dagster-dbt's `DbtProject`, for `dagster-dbt project prepare-and-package` (run by `make`).

Only the prepare step imports this module: the code location reads the prepared manifest through
`amd_assets.audits.project` and never imports dagster-dbt (seconds of start-up in every process).
"""

from dagster_dbt import DbtProject

from amd_assets.audits.project import DBT_PROJECT_DIR

audit_project = DbtProject(project_dir=DBT_PROJECT_DIR)
