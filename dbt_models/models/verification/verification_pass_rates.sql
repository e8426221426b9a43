-- Pass rates per verifier (and version), category, source and origin. The category comes from the curated
-- problem; a verdict whose problem is no longer curated (e.g. dropped by a later dedup) keeps category null.
select
    v.verifier,
    v.verifier_version,
    c.category,
    v.source,
    v.origin,
    count(*) as verdicts,
    count(*) filter (where v.passed) as passed,
    round(count(*) filter (where v.passed) / count(*), 4) as pass_rate
from {{ source('lakehouse', 'response_verdicts') }} as v
left join {{ source('lakehouse', 'curated_problems') }} as c using (problem_id)
group by v.verifier, v.verifier_version, c.category, v.source, v.origin
