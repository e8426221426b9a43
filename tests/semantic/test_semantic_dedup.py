"""Semantic dedup on a real two-source run: near-duplicates across sources merged by source priority, unrelated
problems kept (also two templated MBPP problems whose embeddings are close), vectors cached per (text, model), the
stages refusing stale inputs."""

from __future__ import annotations

import orjson
import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.contracts.tables import CURATED_PROBLEMS, DEDUP_DECISIONS, PROBLEM_EMBEDDINGS, REJECTIONS
from amd_assets.ingest.raw import problem_id
from resources.embeddings import EmbeddingResource
from tests.curation.openai_stub import openai_stub
from tests.semantic.conftest import Lakehouse, failed_checks, metadata

KEY = "wordllama:l2_supercat@256"


def rejection(pipeline: Lakehouse, pid: str) -> dict:
    rows = pipeline.lakehouse.read(REJECTIONS.name, filter=ds.field("problem_id") == pid).to_pylist()
    assert len(rows) == 1, rows
    return {**rows[0], "detail": orjson.loads(rows[0]["detail"])}


def curated(pipeline: Lakehouse) -> set[str]:
    return set(pipeline.lakehouse.read(CURATED_PROBLEMS.name, columns=["problem_id"]).column("problem_id").to_pylist())


def test_near_duplicates_across_sources_keep_the_higher_priority_copy(pipeline):
    words = rejection(pipeline, problem_id("planted", "p1"))  # 3 words changed in a long text: MinHash sees it
    assert words["reason"] == "near_duplicate" and words["detail"]["kept_problem_id"] == problem_id("math", "m1")
    numbers = rejection(pipeline, problem_id("planted", "p2"))  # numbers and words changed: MinHash does not
    assert (numbers["stage"], numbers["reason"]) == ("dedup", "semantic_duplicate"), numbers
    assert numbers["detail"]["kept_problem_id"] == problem_id("math", "m2")
    assert numbers["detail"]["kept_source"] == "math" and numbers["detail"]["model"] == KEY
    assert 0.80 <= numbers["detail"]["similarity"] < 0.97, "below the cosine that decides alone"
    # "garden" -> "lawn" three times and "uniform" -> "constant": 4 of 22 content tokens, allowed for that length
    assert (numbers["detail"]["rule"], numbers["detail"]["differing_tokens"]) == ("few_differences", 4)
    minhash = pipeline.lakehouse.read(DEDUP_DECISIONS.name, filter=ds.field("problem_id") == numbers["problem_id"])
    assert minhash.column("is_kept").to_pylist() == [True], "exact/MinHash dedup kept it"
    assert rejection(pipeline, problem_id("planted", "p3"))["reason"] == "exact_duplicate"


def test_unrelated_problems_are_kept_and_curated(pipeline):
    kept = curated(pipeline)
    assert {problem_id("math", key) for key in ("m1", "m2", "m3", "m4", "m5")} <= kept
    assert {problem_id("planted", key) for key in ("p4", "p5", "p7", "p8")} <= kept
    assert not {problem_id("planted", key) for key in ("p1", "p2", "p3", "p6")} & kept
    decisions = pipeline.lakehouse.read("semantic_dedup_decisions")
    assert decisions.num_rows == 10, "one decision per exact/MinHash survivor (not p1, p3, nor the decontaminated p6)"
    assert set(decisions.column("threshold").to_pylist()) == {0.70}, "the rule's lowest cosine"


def test_templated_look_alikes_are_candidates_the_content_check_rejects(pipeline):
    """MBPP's cone and sphere volumes: cosine 0.91, over the plain 0.83 threshold, but their asserts call different
    functions (6 content tokens differ on each side), so both are kept."""
    decisions = pipeline.lakehouse.read("semantic_dedup_decisions")
    rows = {row["problem_id"]: row for row in decisions.to_pylist()}
    cone, sphere = problem_id("math", "m5"), problem_id("planted", "p8")
    assert rows[cone]["is_kept"] and rows[sphere]["is_kept"]
    result = pipeline.run(["semantic_dedup_decisions"])
    shown = metadata(result, "semantic_dedup_decisions")
    assert shown["candidate_pairs"] > shown["duplicate_pairs"] == 1, "m5~p8 proposed, only m2~p2 confirmed"
    assert shown["duplicate_pairs_by_rule"] == {"cosine": 0, "few_differences": 1, "contained": 0, "same_content": 0}


def test_embeddings_are_cached_by_text_and_model(pipeline):
    again = pipeline.run(["problem_embeddings"], "planted")
    assert (
        metadata(again, "problem_embeddings")["embeddings_computed"],
        metadata(again, "problem_embeddings")["embeddings_reused"],
    ) == (0, 7)
    small = EmbeddingResource(dim=64, dedup_threshold="0.86")
    switched = pipeline.run(["problem_embeddings"], "planted", embedder=small)
    assert metadata(switched, "problem_embeddings")["embeddings_computed"] == 7
    models = pipeline.lakehouse.read(PROBLEM_EMBEDDINGS.name, columns=["model"], filter=ds.field("source") == "planted")
    counts = {row["values"]: row["counts"] for row in models.column("model").value_counts().to_pylist()}
    assert counts == {KEY: 7, "wordllama:l2_supercat@64": 7}, "the old model's vectors are still there"
    # math has no vectors under the new model yet: semantic dedup refuses rather than skipping problems
    stale = pipeline.run(["semantic_dedup_decisions"], embedder=small, raise_on_error=False)
    assert not stale.success
    assert "problem_embeddings of ['math']" in str(stale.get_step_failure_events()[0].event_specific_data.error)


def test_checks_pass_and_the_funnel_accounts_for_every_problem(pipeline):
    result = pipeline.run(["semantic_dedup_decisions"])
    assert failed_checks(result) == []
    rejected = pipeline.lakehouse.read(REJECTIONS.name, filter=(ds.field("stage") == "dedup"))
    reasons = rejected.column("reason").value_counts().to_pylist()
    assert {r["values"]: r["counts"] for r in reasons} == {
        "exact_duplicate": 1,
        "near_duplicate": 1,
        "semantic_duplicate": 1,
    }


def test_curate_refuses_semantic_decisions_of_an_older_dedup(tmp_path):
    pipeline = Lakehouse(tmp_path)
    pipeline.all()
    pipeline.run(["dedup_decisions"])  # a new dedup version: the semantic decisions are stale
    result = pipeline.run(["curated_problems"], "math", raise_on_error=False)
    assert not result.success
    assert "another dedup_decisions version" in str(result.get_step_failure_events()[0].event_specific_data.error)


def test_an_openai_compatible_endpoint_embeds_and_dedups(tmp_path):
    vocabulary = ["egg", "path", "meters", "python", "list", "train", "divisors", "marbles", "torus"]

    def embed(text: str) -> list[float]:
        words = text.lower().split()
        return [float(sum(word.startswith(v) for word in words)) for v in vocabulary]

    with openai_stub(embed=embed) as (url, log):
        endpoint = EmbeddingResource(
            backend="openai",
            model="stub-embed",
            base_urls=url,
            batch_size=4,
            dedup_threshold="0.95",
            decontamination_threshold="0.99",
        )
        pipeline = Lakehouse(tmp_path)
        pipeline.all(embedder=endpoint)
    stored = pipeline.lakehouse.read(PROBLEM_EMBEDDINGS.name, columns=["model"]).column("model")
    assert set(stored.to_pylist()) == {f"openai:stub-embed@{len(vocabulary)}"}
    assert {entry["path"] for entry in log} == {"/v1/embeddings"} and all(len(e["input"]) <= 4 for e in log)
    row = rejection(pipeline, problem_id("planted", "p2"))
    assert row["reason"] == "semantic_duplicate" and row["detail"]["model"] == f"openai:stub-embed@{len(vocabulary)}"
    assert pc.sum(pipeline.lakehouse.read("semantic_dedup_decisions").column("is_kept")).as_py() >= 8
    assert set(pipeline.lakehouse.read("semantic_dedup_decisions").column("threshold").to_pylist()) == {0.95}
    assert row["detail"]["rule"] == "cosine", "a configured threshold is a plain cosine rule"


def test_lineage_names_the_semantic_duplicate_and_its_cosine(pipeline):
    import io

    from amd_assets.cli.lineage import print_lineage

    dropped, kept = problem_id("planted", "p2"), problem_id("math", "m2")
    out = io.StringIO()
    assert print_lineage(pipeline.lakehouse, dropped, out)
    text = out.getvalue()
    assert f"semantic dedup: dropped, duplicate of {kept} (math), cosine 0.8" in text
    assert "curated: rejected at dedup: semantic_duplicate" in text
    out = io.StringIO()
    print_lineage(pipeline.lakehouse, kept, out)
    assert f"semantic dedup: kept; its duplicates: {dropped} (planted, cosine 0.8" in out.getvalue()
