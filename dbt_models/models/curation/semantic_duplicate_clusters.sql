-- Semantic dedup per kept problem: the problems dropped in its favour (reason semantic_duplicate), how many, from
-- which sources, and how close they were. One row per kept problem that absorbed at least one duplicate.
with decisions as (
    select * from {{ source('lakehouse', 'semantic_dedup_decisions') }}
)
select
    kept_problem_id,
    any_value(kept_source) as kept_source,
    count(*)::bigint as cluster_size,
    (count(*) - 1)::bigint as duplicates_dropped,
    string_agg(distinct source, ',' order by source) as sources_merged,
    count(distinct source)::bigint as source_count,
    (count(distinct source) filter (where source <> kept_source) > 0) as crosses_sources,
    min(similarity) as min_similarity,
    max(similarity) as max_similarity,
    any_value(model) as model,
    any_value(threshold) as threshold
from decisions
group by kept_problem_id
having count(*) > 1
