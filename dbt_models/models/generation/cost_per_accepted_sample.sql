-- What the teacher cost per source, and per accepted teacher sample. Every teacher request outcome is a row of
-- teacher_responses (failed and truncated ones too: they are paid for); accepted samples are the
-- distilled_samples. Existing traces cost nothing, so the per-sample figures divide by accepted *teacher*
-- samples. Every curated source has a row (zero cost when no teacher ran for it). Prices in $ per 1M tokens
-- are dbt vars, defaulting to DeepSeek-R1's list prices on the DeepSeek API (0.55 prompt, 2.19 completion);
-- e.g. `--vars '{usd_per_1m_prompt_tokens: 0.1, usd_per_1m_completion_tokens: 0.4}'` for own GPUs' amortized cost.
with requests as (
    select
        source,
        count(*) as teacher_requests,
        count(*) filter (where status = 'ok') as ok_responses,
        count(*) filter (where status = 'truncated') as truncated_responses,
        count(*) filter (where status = 'failed') as failed_requests,
        coalesce(sum(prompt_tokens), 0) as prompt_tokens,
        coalesce(sum(completion_tokens), 0) as completion_tokens
    from {{ source('lakehouse', 'teacher_responses') }}
    group by source
),
accepted as (
    select
        source,
        count(*) as accepted_samples,
        count(*) filter (where origin = 'teacher') as accepted_teacher_samples
    from {{ source('lakehouse', 'distilled_samples') }}
    group by source
),
sources as (
    select source from {{ source('lakehouse', 'curated_problems') }}
    union
    select source from requests
    union
    select source from accepted
),
joined as (
    select
        s.source,
        coalesce(r.teacher_requests, 0) as teacher_requests,
        coalesce(r.ok_responses, 0) as ok_responses,
        coalesce(r.truncated_responses, 0) as truncated_responses,
        coalesce(r.failed_requests, 0) as failed_requests,
        coalesce(r.prompt_tokens, 0)::bigint as prompt_tokens,
        coalesce(r.completion_tokens, 0)::bigint as completion_tokens,
        coalesce(a.accepted_samples, 0) as accepted_samples,
        coalesce(a.accepted_teacher_samples, 0) as accepted_teacher_samples
    from sources as s
    left join requests as r using (source)
    left join accepted as a using (source)
)
select
    *,
    round(
        (prompt_tokens * {{ var('usd_per_1m_prompt_tokens', 0.55) }}
         + completion_tokens * {{ var('usd_per_1m_completion_tokens', 2.19) }}) / 1e6,
        6
    ) as teacher_cost_usd,
    round((prompt_tokens + completion_tokens) / nullif(accepted_teacher_samples, 0), 1)
        as tokens_per_accepted_teacher_sample,
    round(
        (prompt_tokens * {{ var('usd_per_1m_prompt_tokens', 0.55) }}
         + completion_tokens * {{ var('usd_per_1m_completion_tokens', 2.19) }}) / 1e6
        / nullif(accepted_teacher_samples, 0),
        6
    ) as usd_per_accepted_teacher_sample
from joined
