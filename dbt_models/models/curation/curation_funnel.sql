-- Per source, stage and reason: how many problems a stage dropped, and what share of the source that is
-- (stage_funnel has the same with per-stage input and output counts; this one stays for existing queries).
with read as (
    select source, count(*) as normalized from {{ source('lakehouse', 'normalized_problems') }} group by 1
)
select
    r.source,
    r.stage,
    r.reason,
    count(*) as problems,
    round(count(*) / any_value(read.normalized), 4) as share_of_source
from {{ source('lakehouse', 'rejections') }} as r
join read using (source)
group by r.source, r.stage, r.reason
