-- What each release is made of: samples per source, category, difficulty and origin, and their share of it.
select
    release_version,
    source,
    category,
    difficulty,
    origin,
    count(*) as samples,
    round(count(*) / sum(count(*)) over (partition by release_version), 6) as share_of_release
from {{ ref('release_gate') }}
group by release_version, source, category, difficulty, origin
