-- Rows per source through ingest: read, kept by raw_problems, kept by normalized_problems, quarantined.
with raw as (
    select source, count(*) as raw_rows from {{ source('lakehouse', 'raw_problems') }} group by 1
),
normalized as (
    select source, count(*) as normalized_rows from {{ source('lakehouse', 'normalized_problems') }} group by 1
),
quarantined as (
    select
        source,
        count(*) filter (where stage = 'read') as quarantined_read,
        count(*) filter (where stage = 'normalize') as quarantined_normalize
    from {{ source('lakehouse', 'quarantine') }}
    group by 1
)
select
    raw.source,
    raw.raw_rows + coalesce(q.quarantined_read, 0) as rows_read,
    raw.raw_rows,
    coalesce(n.normalized_rows, 0) as normalized_rows,
    coalesce(q.quarantined_read, 0) as quarantined_read,
    coalesce(q.quarantined_normalize, 0) as quarantined_normalize
from raw
left join normalized as n using (source)
left join quarantined as q using (source)
