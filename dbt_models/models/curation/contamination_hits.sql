-- Problems dropped by decontamination per benchmark and source, parsed from the rejection's detail JSON
-- ({"benchmark", "item_id", "ngram"} for n-gram hits, {"benchmark", "item_id", "similarity"} for embedding hits).
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
    count(*) filter (where reason = 'benchmark_embedding') as embedding_hits,
    count(distinct item_id) as benchmark_items_hit
from hits
group by benchmark, source
