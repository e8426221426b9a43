"""Data contracts: each table declared once (`tables`, with the vocabulary in `columns` and multi-column rules in
`row_rules`), and everything derived from the declarations: the pandera schemas (`pandera_schema`), the one
factory of blocking contract checks (`checks`, `validate`), dbt's sources (`dbt_sources`) and the catalogue of
every table (`catalogue`). A new table is a `TableContract` in its stage's `tables` module plus a catalogue
entry; a new value rule is a `columns` helper; a new row rule a function in `row_rules`."""
