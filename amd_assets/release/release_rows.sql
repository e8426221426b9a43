-- The release rows, in two views over the pinned tables (distilled_samples, curated_problems, response_verdicts,
-- teacher_models, current_versions):
--   release_records  each distilled sample with its curated labels, the verdicts of its accepted response under the
--                    current verifier versions, and the teacher's model and token count; texts unassembled;
--   release_ordered  the release rows (RELEASE_ROWS minus release_version: the AM `messages` assembled) ordered by
--                    (origin, problem_id), with `am_json`, each row's JSONL line.
-- release_ordered sorts release_records, then assembles: a sort holds its rows (one source's), and the assembled
-- `messages` and JSON line would triple them (3.4 GB instead of 2.0 for a source of 105k rows).

CREATE OR REPLACE TEMP VIEW release_records AS
WITH
accepted AS (
    SELECT d.*, c.subcategory, c.difficulty, c.language
    FROM distilled_samples AS d
    JOIN curated_problems AS c ON c.problem_id = d.problem_id AND c.source = d.source
),
verdict_rows AS (
    -- append-only table: one row per (response, verifier, version) even if a crash stored one twice
    SELECT DISTINCT ON (v.response_id, v.verifier, v.verifier_version)
        v.response_id, v.verifier, v.verifier_version, v.verdict, v.score
    -- distilled_samples, not `accepted`: a CTE used twice is materialized whole, texts and all
    FROM response_verdicts AS v
    JOIN distilled_samples AS a ON a.response_id = v.response_id AND a.source = v.source
    JOIN current_versions AS cv
        ON cv.origin = a.origin AND cv.verifier = v.verifier AND cv.verifier_version = v.verifier_version
    WHERE list_contains(json_keys(a.verdicts), v.verifier)
    ORDER BY v.response_id, v.verifier, v.verifier_version, v.verdict
),
verdict_lists AS (
    SELECT response_id,
        list({'verifier': verifier, 'verifier_version': verifier_version, 'verdict': verdict, 'score': score}
             ORDER BY verifier) AS verdicts
    FROM verdict_rows
    GROUP BY response_id
)
SELECT
    a.problem_id, a.response_id, a.source, a.source_file, a.source_row, a.origin,
    a.category, a.subcategory, a.difficulty, a.language, t.model,
    a.prompt, a.reference_answer, a.test_cases, a.think, a.answer, a.score,
    coalesce(vl.verdicts, []) AS verdicts,
    t.completion_tokens
FROM accepted AS a
LEFT JOIN verdict_lists AS vl ON vl.response_id = a.response_id
LEFT JOIN teacher_models AS t ON t.response_id = a.response_id AND a.origin = 'teacher';

CREATE OR REPLACE TEMP MACRO am_assistant(think, answer) AS
    concat('<think>', chr(10), coalesce(think, ''), chr(10), '</think>', chr(10), '<answer>', chr(10), answer,
        chr(10), '</answer>');

-- Parquet and Delta need one struct type for both turns: `info` is the union of the two turns' keys.
CREATE OR REPLACE TEMP MACRO am_messages(source, prompt, reference_answer, test_cases, think, answer) AS [
    {'role': 'user', 'content': prompt, 'info': {'source': source, 'reference_answer': reference_answer,
        'test_case': test_cases, 'think_content': NULL::VARCHAR, 'answer_content': NULL::VARCHAR}},
    {'role': 'assistant', 'content': am_assistant(think, answer), 'info': {'source': source,
        'reference_answer': NULL::VARCHAR, 'test_case': NULL::VARCHAR, 'think_content': coalesce(think, ''),
        'answer_content': answer}}
];

-- The JSONL line users load: the AM record (each turn with only its own info keys), then our columns, in that
-- order, and a newline, so a JSONL file is its rows' lines concatenated. DuckDB's to_json writes what orjson wrote
-- for the same record (UTF-8 unescaped, shortest float repr): tests/release/test_release_files.py holds them equal.
CREATE OR REPLACE TEMP MACRO am_json(r) AS concat(
    '{"messages":[',
    to_json({'role': 'user', 'content': r.prompt,
        'info': {'source': r.source, 'reference_answer': r.reference_answer, 'test_case': r.test_cases}})::VARCHAR,
    ',',
    to_json({'role': 'assistant', 'content': am_assistant(r.think, r.answer),
        'info': {'source': r.source, 'think_content': coalesce(r.think, ''), 'answer_content': r.answer}})::VARCHAR,
    '],',
    substr(to_json({
        'problem_id': r.problem_id, 'response_id': r.response_id, 'source': r.source, 'source_file': r.source_file,
        'source_row': r.source_row, 'origin': r.origin, 'category': r.category, 'subcategory': r.subcategory,
        'difficulty': r.difficulty, 'language': r.language, 'model': r.model, 'score': r.score,
        'verdicts': r.verdicts
    })::VARCHAR, 2),
    chr(10)
);

CREATE OR REPLACE TEMP VIEW release_ordered AS
SELECT
    problem_id, response_id, source, source_file, source_row, origin,
    category, subcategory, difficulty, language, model,
    am_messages(source, prompt, reference_answer, test_cases, think, answer) AS messages,
    score, verdicts,
    length(am_assistant(think, answer))::BIGINT AS response_chars,
    completion_tokens,
    am_json(r) AS am_json
FROM (SELECT * FROM release_records ORDER BY origin, problem_id) AS r
