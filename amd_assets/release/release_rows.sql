-- release_candidates: the release rows (RELEASE_ROWS minus release_version). Each distilled sample with its
-- curated labels, the verdicts of its accepted response under the current verifier versions, and the
-- teacher's model and token count.
-- Views: distilled_samples, curated_problems, response_verdicts, teacher_models, current_versions (all pinned).
CREATE OR REPLACE TEMP VIEW release_candidates AS
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
    FROM response_verdicts AS v
    JOIN accepted AS a ON a.response_id = v.response_id AND a.source = v.source
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
),
records AS (
    SELECT a.*,
        concat('<think>', chr(10), coalesce(a.think, ''), chr(10), '</think>', chr(10), '<answer>', chr(10), a.answer,
            chr(10), '</answer>') AS assistant,
        t.model, t.completion_tokens, vl.verdicts AS verdict_list
    FROM accepted AS a
    LEFT JOIN verdict_lists AS vl ON vl.response_id = a.response_id
    LEFT JOIN teacher_models AS t ON t.response_id = a.response_id AND a.origin = 'teacher'
)
SELECT
    problem_id, response_id, source, source_file, source_row, origin,
    category, subcategory, difficulty, language, model,
    [
        {'role': 'user', 'content': prompt, 'info': {'source': source, 'reference_answer': reference_answer,
            'test_case': test_cases, 'think_content': NULL::VARCHAR, 'answer_content': NULL::VARCHAR}},
        {'role': 'assistant', 'content': assistant, 'info': {'source': source, 'reference_answer': NULL::VARCHAR,
            'test_case': NULL::VARCHAR, 'think_content': coalesce(think, ''), 'answer_content': answer}}
    ] AS messages,
    score,
    coalesce(verdict_list, []) AS verdicts,
    length(assistant)::BIGINT AS response_chars,
    completion_tokens
FROM records
