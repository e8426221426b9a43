-- Response lengths per release, source and origin: characters, and completion tokens where the teacher
-- reported them (existing traces have none: those columns are null and tokens_known counts the rows that have).
select
    release_version,
    source,
    origin,
    count(*) as n,
    min(response_chars) as min_response_chars,
    round(avg(response_chars), 1) as avg_response_chars,
    quantile_disc(response_chars, 0.5) as p50_response_chars,
    quantile_disc(response_chars, 0.9) as p90_response_chars,
    max(response_chars) as max_response_chars,
    count(completion_tokens) as tokens_known,
    min(completion_tokens) as min_completion_tokens,
    round(avg(completion_tokens), 1) as avg_completion_tokens,
    quantile_disc(completion_tokens, 0.5) as p50_completion_tokens,
    quantile_disc(completion_tokens, 0.9) as p90_completion_tokens,
    max(completion_tokens) as max_completion_tokens
from {{ ref('release_gate') }}
group by release_version, source, origin
