"""The `amd` command: one module per subcommand (`sql`, `sources`, `lineage`, `release_diff`, `audit`, `run` for
`materialize`/`demo`, `instance`), `main` wiring them and `options` for the shared location flags. A subcommand
imports what it needs when it runs, so `amd sql` starts without Dagster."""
