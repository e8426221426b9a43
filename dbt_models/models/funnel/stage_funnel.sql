-- The whole funnel in one table: per stage, reason and source, the rows that stage dropped (rejections, plus
-- quarantined input under its quarantine stage), next to how many rows of the source entered and left that stage.
-- Stages in order: read and normalize (the two steps of ingest: rows read -> raw_problems -> normalized), filter,
-- decontaminate, dedup (global, exact/MinHash then semantic duplicates, counted per source),
-- curate (labels/downsampling), distill (curated problems -> one accepted sample).
with counts as (
    select 'raw' as tbl, source, count(*) as n from {{ source('lakehouse', 'raw_problems') }} group by 2
    union all
    select 'normalized', source, count(*) as n from {{ source('lakehouse', 'normalized_problems') }} group by 2
    union all
    select 'filtered', source, count(*) from {{ source('lakehouse', 'filtered_problems') }} group by 2
    union all
    select 'decontaminated', source, count(*) from {{ source('lakehouse', 'decontaminated_problems') }} group by 2
    union all
    -- survivors of both dedup stages: exact/MinHash, then semantic (a table never written reads as empty)
    select 'dedup_kept', d.source, count(*) filter (where d.is_kept and coalesce(s.is_kept, true))
    from {{ source('lakehouse', 'dedup_decisions') }} as d
    left join {{ source('lakehouse', 'semantic_dedup_decisions') }} as s using (problem_id)
    group by 2
    union all
    select 'curated', source, count(*) from {{ source('lakehouse', 'curated_problems') }} group by 2
    union all
    select 'distilled', source, count(*) from {{ source('lakehouse', 'distilled_samples') }} group by 2
    union all
    select 'read', source, count(*) from {{ source('lakehouse', 'raw_problems') }} group by 2
    union all
    select 'read', source, count(*) from {{ source('lakehouse', 'quarantine') }} where stage = 'read' group by 2
),
per_source as (
    select source, tbl, sum(n)::bigint as n from counts group by source, tbl
),
stages as (
    select * from (values
        ('read', 'read', 'raw'),
        ('normalize', 'raw', 'normalized'),
        ('filter', 'normalized', 'filtered'),
        ('decontaminate', 'filtered', 'decontaminated'),
        ('dedup', 'decontaminated', 'dedup_kept'),
        ('curate', 'dedup_kept', 'curated'),
        ('distill', 'curated', 'distilled')
    ) as t(stage, input_table, output_table)
),
stage_rows as (
    select s.stage, i.source, i.n as rows_in, coalesce(o.n, 0) as rows_out
    from stages as s
    join per_source as i on i.tbl = s.input_table
    left join per_source as o on o.tbl = s.output_table and o.source = i.source
),
rejected as (
    select stage, reason, source, count(*) as rejected
    from {{ source('lakehouse', 'rejections') }}
    group by stage, reason, source
    union all
    select stage, error_type, source, count(*)
    from {{ source('lakehouse', 'quarantine') }}
    group by stage, error_type, source
)
select
    -- the stage's position in the pipeline, so `order by all` reads the funnel top to bottom
    list_position(['read', 'normalize', 'filter', 'decontaminate', 'dedup', 'curate', 'distill'], r.stage) as step,
    r.stage,
    r.reason,
    r.source,
    r.rejected,
    s.rows_in,
    s.rows_out,
    round(r.rejected / nullif(s.rows_in, 0), 4) as share_of_stage_input
from rejected as r
left join stage_rows as s using (stage, source)
