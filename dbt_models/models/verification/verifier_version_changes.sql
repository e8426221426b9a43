-- What upgrading a verifier changed: per verifier, source and origin, each pair of its versions (older, newer)
-- with the responses both judged, and how many of those went pass -> fail, fail -> pass or kept their outcome.
-- A version's age is the last verification run that judged with it (verifier_versions, written by
-- response_verdicts from the verifier registry), so a configuration switched back counts as the newer again;
-- versions used only before that table existed are older than every recorded one (then ordered by name).
-- `new_is_current`: the newer one is what the latest run used, so `where new_is_current` is each verifier's
-- latest upgrade. Rule versions differ per origin (existing traces need no think block): pairs never cross them.
with verdicts as (
    -- append-only table: one verdict per (response, verifier, version) even if a crash stored one twice; an
    -- `unverified` placeholder (no judge configured, older runs) is not a verdict
    select distinct on (response_id, verifier, verifier_version)
        response_id, source, origin, verifier, verifier_version, verdict, passed
    from {{ source('lakehouse', 'response_verdicts') }}
    where verdict <> 'unverified'
    order by response_id, verifier, verifier_version, verdict
),

used as (
    select source, origin, verifier, verifier_version, max(recorded_at) as last_used_at
    from {{ source('lakehouse', 'verifier_versions') }}
    group by source, origin, verifier, verifier_version
),

versions as (
    select v.source, v.origin, v.verifier, v.verifier_version, any_value(u.last_used_at) as last_used_at
    from verdicts as v
    left join used as u using (source, origin, verifier, verifier_version)
    group by v.source, v.origin, v.verifier, v.verifier_version
),

ranked as (
    select
        *,
        row_number() over (
            partition by source, origin, verifier order by last_used_at asc nulls first, verifier_version
        ) as age,
        coalesce(last_used_at = max(last_used_at) over (partition by source, origin, verifier), false) as is_current
    from versions
),

pairs as (
    select
        older.source,
        older.origin,
        older.verifier,
        older.verifier_version as old_version,
        newer.verifier_version as new_version,
        newer.is_current as new_is_current
    from ranked as older
    inner join ranked as newer
        on older.source = newer.source
        and older.origin = newer.origin
        and older.verifier = newer.verifier
        and older.age < newer.age
)

select
    p.verifier,
    p.old_version,
    p.new_version,
    p.source,
    p.origin,
    p.new_is_current,
    count(*) as judged_by_both,
    count(*) filter (where o.passed and not n.passed) as pass_to_fail,
    count(*) filter (where not o.passed and n.passed) as fail_to_pass,
    count(*) filter (where o.passed = n.passed) as unchanged,
    count(*) filter (where o.passed = n.passed and o.verdict <> n.verdict) as relabelled
from pairs as p
inner join verdicts as o
    on o.source = p.source and o.origin = p.origin and o.verifier = p.verifier and o.verifier_version = p.old_version
inner join verdicts as n
    on n.response_id = o.response_id and n.verifier = p.verifier and n.verifier_version = p.new_version
group by p.verifier, p.old_version, p.new_version, p.source, p.origin, p.new_is_current
