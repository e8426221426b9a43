"""Which responses a run still has to request, and nothing it already paid for: the one rule deciding whether a
problem needs another teacher sample, used by `teacher_responses` and by the `regeneration` sensor alike.

A response is identified before it is requested: response_id hashes (problem_id, origin, model, sampling params,
prompt version, sample index). The table is read once per run into a ledger of ids that are settled; a problem
wants sample indices 0..n-1 where n is decided by `samples_wanted` from the verification signal; whatever of those
is not settled is requested. A re-run after a crash therefore asks only for what was not committed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.contracts.columns import PROBLEM_KEY
from amd_assets.generation.prompts import PromptBuilder
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.acceptance import REJECTED, Acceptance, assess_source
from resources.lakehouse import LakehouseResource
from resources.teacher.records import SamplingParams, TeacherRequest
from resources.teacher.retry import is_transient

ORIGIN = "teacher"
CURATED_TABLE = "curated_problems"
CURATED_COLUMNS = [
    *PROBLEM_KEY,
    "category",
    "prompt",
    "test_cases",
    "trace_answer",
]


def response_id(
    problem_id: str, model: str, sampling: SamplingParams, prompt_version: str, sample_index: int, origin: str = ORIGIN
) -> str:
    key = "\x1f".join([problem_id, origin, model, sampling.canonical_json(), prompt_version, str(sample_index)])
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class SamplingPlan:
    samples_per_round: int = 1
    max_attempts: int = 4
    # A response whose request failed transiently this many times (over runs) is given up.
    max_request_failures: int = 3


@dataclass
class VerdictSignal:
    """What verification has decided so far, per problem. Empty until the verification stage writes verdicts."""

    accepted: set[str] = field(default_factory=set)
    rejected: Counter[str] = field(default_factory=Counter)  # rejected teacher responses
    trace_rejected: set[str] = field(default_factory=set)  # the problem's existing trace failed verification


def read_verdict_signal(lakehouse: LakehouseResource, source: str, acceptance: Acceptance) -> VerdictSignal:
    """Accepted / rejected as `verification.acceptance` decides it (current verifier versions; a response still
    waiting for a verdict or a judge counts as neither); the existing trace is origin `existing`."""
    signal = VerdictSignal()
    for candidate, verdict in assess_source(lakehouse, source, acceptance):
        if verdict.accepted:
            signal.accepted.add(candidate.problem_id)
        elif verdict.status != REJECTED:
            continue
        elif candidate.origin == ORIGIN:
            signal.rejected[candidate.problem_id] += 1
        else:
            signal.trace_rejected.add(candidate.problem_id)
    return signal


def samples_wanted(
    problem_id: str, has_trace: bool, signal: VerdictSignal, final_failures: int, plan: SamplingPlan
) -> int:
    """How many teacher samples (indices 0..n-1) the problem should have: the one rule deciding who needs more.

    None once a response is accepted, none while a usable existing trace stands; otherwise one round more than
    the attempts already spent (rejected responses and requests that can never succeed), capped at max_attempts.
    """
    if problem_id in signal.accepted:
        return 0
    if has_trace and problem_id not in signal.trace_rejected:
        return 0
    return min(plan.max_attempts, signal.rejected[problem_id] + final_failures + plan.samples_per_round)


@dataclass
class Ledger:
    """What the partition already holds: response ids never to request again, and per-problem final failures."""

    settled: set[str] = field(default_factory=set)
    final_failures: Counter[str] = field(default_factory=Counter)
    rows: int = 0


def read_ledger(lakehouse: LakehouseResource, source: str, plan: SamplingPlan) -> Ledger:
    ledger = Ledger()
    transient_failures: Counter[str] = Counter()
    failed_problem: dict[str, str] = {}
    columns = ["response_id", "problem_id", "status", "error_class", "error"]
    for batch in lakehouse.scan(TEACHER_RESPONSES.name, columns=columns, filter=ds.field("source") == source):
        ledger.rows += batch.num_rows
        generated = pc.not_equal(batch.column("status"), "failed")
        ledger.settled.update(pc.filter(batch.column("response_id"), generated).to_pylist())
        failures = batch.filter(pc.invert(generated)).to_pylist()
        for row in failures:
            if is_transient(row["error_class"], row["error"]):
                transient_failures[row["response_id"]] += 1
                failed_problem[row["response_id"]] = row["problem_id"]
            elif row["response_id"] not in ledger.settled:
                # The request itself is bad (e.g. longer than the context): asking again cannot help.
                ledger.settled.add(row["response_id"])
                ledger.final_failures[row["problem_id"]] += 1
    for key, count in transient_failures.items():
        if count >= plan.max_request_failures and key not in ledger.settled:
            ledger.settled.add(key)
            ledger.final_failures[failed_problem[key]] += 1
    return ledger


@dataclass(frozen=True)
class PendingResponse:
    request: TeacherRequest
    problem_id: str
    source: str
    source_file: str
    source_row: int
    category: str
    sample_index: int


@dataclass
class SelectionStats:
    problems: int = 0
    skipped_existing_trace: int = 0
    skipped_accepted: int = 0
    problems_requested: int = 0
    already_stored: int = 0  # responses wanted that the table already holds
    requested: int = 0


def pending_responses(
    lakehouse: LakehouseResource,
    source: str,
    model: str,
    sampling: SamplingParams,
    prompts: PromptBuilder,
    plan: SamplingPlan,
    ledger: Ledger,
    signal: VerdictSignal,
    stats: SelectionStats,
) -> Iterator[PendingResponse]:
    """Stream the curated partition and yield the responses still missing, in table order."""
    version = prompts.version
    curated = lakehouse.scan(
        CURATED_TABLE, columns=CURATED_COLUMNS, filter=ds.field("source") == source, batch_size=1024
    )
    for batch in curated:
        for row in batch.to_pylist():
            stats.problems += 1
            problem = row["problem_id"]
            has_trace = row["trace_answer"] is not None
            wanted = samples_wanted(problem, has_trace, signal, ledger.final_failures[problem], plan)
            if wanted == 0:
                if problem in signal.accepted:
                    stats.skipped_accepted += 1
                else:
                    stats.skipped_existing_trace += 1
                continue
            messages: list[dict[str, str]] | None = None
            for index in range(wanted):
                key = response_id(problem, model, sampling, version, index)
                if key in ledger.settled:
                    stats.already_stored += 1
                    continue
                if messages is None:
                    messages = prompts.messages(row["category"], row["prompt"], row["test_cases"])
                    stats.problems_requested += 1
                stats.requested += 1
                yield PendingResponse(
                    TeacherRequest(key, messages),
                    problem,
                    row["source"],
                    row["source_file"],
                    row["source_row"],
                    row["category"],
                    index,
                )


def plan_round(
    lakehouse: LakehouseResource,
    source: str,
    model: str,
    sampling: SamplingParams,
    prompts: PromptBuilder,
    plan: SamplingPlan,
    acceptance: Acceptance,
) -> tuple[SelectionStats, Iterator[PendingResponse]]:
    """The responses the next `teacher_responses` run of `source` would request (a lazy stream) and its stats,
    filled while the stream is consumed."""
    ledger = read_ledger(lakehouse, source, plan)
    signal = read_verdict_signal(lakehouse, source, acceptance)
    stats = SelectionStats()
    pending = pending_responses(lakehouse, source, model, sampling, prompts, plan, ledger, signal, stats)
    return stats, pending


def count_pending(
    lakehouse: LakehouseResource,
    source: str,
    model: str,
    sampling: SamplingParams,
    plan: SamplingPlan,
    acceptance: Acceptance,
    prompts: PromptBuilder | None = None,
) -> SelectionStats:
    """What the next run with default prompts would request, counted without building any request."""
    if not lakehouse.exists(CURATED_TABLE):
        return SelectionStats()
    stats, pending = plan_round(lakehouse, source, model, sampling, prompts or PromptBuilder(), plan, acceptance)
    for _ in pending:
        pass
    return stats
