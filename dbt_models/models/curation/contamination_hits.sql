-- Problems dropped by decontamination per benchmark and source, parsed from the rejection's detail JSON
-- ({"benchmark", "item_id", "ngram", "coverage"} for n-gram hits, {"benchmark", "item_id", "similarity", "model"}
-- for embedding hits: reason benchmark_semantic, or benchmark_embedding in lakehouses written before it).
with hits as (
    select
        source,
        reason,
        json_extract_string(detail, '$.benchmark') as benchmark,
        json_extract_string(detail, '$.item_id') as item_id
    from {{ source('lakehouse', 'rejections') }}
    where stage = 'decontaminate'
)
select
    benchmark,
    source,
    count(*) as hits,
    count(*) filter (where reason = 'benchmark_ngram') as ngram_hits,
    count(*) filter (where reason in ('benchmark_semantic', 'benchmark_embedding')) as embedding_hits,
    count(distinct item_id) as benchmark_items_hit
from hits
group by benchmark, source
