-- The release_rows Delta table, unchanged: the model the release gate's tests run on (a view, no copy).
{{ config(materialized='view') }}
select * from {{ source('lakehouse', 'release_rows') }}
