"""Rule checks and language identification: the `rules` and `languages` modes of benchmarks/verify.py, on the
real text and R1-style responses of benchmarks/verify_rules_corpus.py.

The former implementation (lingua) is loaded from git (`FORMER_COMMIT`) and measured side by side with the
current one, interleaved in rounds so load drift on a shared machine hits both alike.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable
from typing import Any

from verify_rules_corpus import LANGUAGES, REPO, Response, build_responses, language_corpus, r1

# The last commit whose language rule used lingua (rule_language version 1).
FORMER_COMMIT = "a33d81f"


# --- the former implementation ---------------------------------------------------------------------------------


def former_rules() -> types.ModuleType | None:
    """`rules` as of FORMER_COMMIT (lingua-based language rule), importable next to the current one."""
    sources = {}
    for name in ("language", "rules"):
        done = subprocess.run(
            ["git", "show", f"{FORMER_COMMIT}:amd_assets/verification/{name}.py"],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if done.returncode:
            return None
        sources[name] = done.stdout
    language = types.ModuleType("former_language")
    sys.modules["former_language"] = language  # registered first: dataclasses look their module up
    exec(compile(sources["language"], "former_language.py", "exec"), language.__dict__)
    rules = types.ModuleType("former_rules")
    code = sources["rules"].replace("from amd_assets.verification.language import", "from former_language import")
    sys.modules["former_rules"] = rules
    exec(compile(code, "former_rules.py", "exec"), rules.__dict__)
    return rules


# --- the rule checks, former and current -----------------------------------------------------------------------


def _run_all(rules: types.ModuleType, responses: list[Response]) -> list[tuple[str, ...]]:
    settings = rules.RuleSettings()
    return [tuple(v.verdict for v in rules.run_rules(prompt, text, settings)) for prompt, text in responses]


def bench_rules(count: int, seed: int, rounds: int = 3) -> dict[str, object]:
    """Responses/s of all four rules, former (lingua) and current implementation, interleaved in rounds; the
    current one also in two processes (the two cores); per-rule microseconds; verdict differences."""
    from amd_assets.verification import rules as current

    responses, kinds = build_responses(count, seed)
    contenders: dict[str, types.ModuleType] = {"current": current}
    former = former_rules()
    if former is not None:
        contenders["former (lingua)"] = former
    for module in contenders.values():
        _run_all(module, responses[:20])  # model loading is not part of the rate
    seconds = dict.fromkeys(contenders, 0.0)
    verdicts: dict[str, list[tuple[str, ...]]] = {label: [] for label in contenders}
    step = -(-count // rounds)
    for start in range(0, count, step):
        part = responses[start : start + step]
        for label, module in contenders.items():
            started = time.process_time()
            verdicts[label] += _run_all(module, part)
            seconds[label] += time.process_time() - started
    figures: dict[str, object] = {
        "responses": count,
        "mean_chars": round(sum(len(text) for _, text in responses) / count),
        "kinds": kinds,
        "responses_per_cpu_s": {label: round(count / s) for label, s in seconds.items()},
        "current_two_processes_per_s": round(_two_processes(responses)),
        "per_rule_us": _per_rule_us(current, responses),
        "verdicts": {label: _tally(v) for label, v in verdicts.items()},
    }
    if former is not None:
        figures["speedup"] = round(seconds["former (lingua)"] / seconds["current"], 1)
    return figures


def _tally(verdicts: list[tuple[str, ...]]) -> dict[str, dict[str, int]]:
    names = ("rule_format", "rule_repetition", "rule_length", "rule_language")
    return {name: dict(Counter(row[i] for row in verdicts)) for i, name in enumerate(names)}


def _per_rule_us(rules: types.ModuleType, responses: list[Response]) -> dict[str, float]:
    from amd_assets.verification import language

    for cached in (language.prose_of, language.detect_cld2, language.detect_fasttext):
        cached.cache_clear()
    settings = rules.RuleSettings()
    checks: dict[str, Callable[[str, str], Any]] = {
        "format": lambda p, t: rules.check_format(t, settings),
        "repetition": lambda p, t: rules.check_repetition(t, settings),
        "length": lambda p, t: rules.check_length(t, settings),
        "language": lambda p, t: rules.check_language(p, t, settings),
    }
    timed = {}
    for name, check in checks.items():
        started = time.process_time()
        for prompt, text in responses:
            check(prompt, text)
        timed[name] = round(1e6 * (time.process_time() - started) / len(responses), 1)
    return timed


def _rate_in_child(responses: list[Response]) -> float:
    from amd_assets.verification import rules

    _run_all(rules, responses[:20])
    started = time.perf_counter()
    _run_all(rules, responses)
    return time.perf_counter() - started


def _two_processes(responses: list[Response]) -> float:
    """Responses/s with the responses split over two processes (wall clock, slowest half)."""
    import multiprocessing as mp

    halves = [responses[::2], responses[1::2]]
    with mp.get_context("forkserver").Pool(2) as pool:
        slowest = max(pool.map(_rate_in_child, halves))
    return len(responses) / slowest


# --- language identification side by side ---------------------------------------------------------------------


def bench_languages(per_language: int, seed: int) -> dict[str, object]:
    """Accuracy and CPU per text of each detector on real text (prompt-sized and answer-sized), and what the rule
    decides on same-language pairs (a fail there is a wrong fail) and other-language pairs (a fail is caught)."""
    from amd_assets.verification import language as current

    rng = random.Random(seed)
    corpus = language_corpus(rng, per_language)
    former = former_rules()
    detectors = _detectors(current, former)
    texts = [(lang, t) for lang, parts in corpus.items() for kind in ("prompts", "answers") for t in parts[kind]]
    prose = {t: current.prose_of(t, 2000) for _, t in texts}
    accuracy = {}
    for name, detect in detectors.items():
        detect("warm up the model")
        started = time.process_time()
        found = [detect(prose[t]) for _, t in texts]
        spent = time.process_time() - started
        confident_wrong = sum(
            1 for (lang, _), (got, p) in zip(texts, found, strict=True) if got and got != lang and p >= 0.6
        )
        accuracy[name] = {
            "accuracy": round(
                sum(got == lang for (lang, _), (got, _) in zip(texts, found, strict=True)) / len(texts), 4
            ),
            "confidently_wrong": round(confident_wrong / len(texts), 4),
            "cpu_us_per_text": round(1e6 * spent / len(texts), 1),
        }
    same = [
        (rng.choice(corpus[lang]["prompts"]), rng.choice(corpus[lang]["answers"]))
        for lang in corpus
        for _ in range(per_language)
    ]
    pairs = [(a, b) for a in corpus for b in corpus if a != b]
    cross = [(rng.choice(corpus[a]["prompts"]), rng.choice(corpus[b]["answers"])) for a, b in pairs for _ in range(8)]
    decisions = {"former (lingua)": former, "current (CLD2, then fastText)": None}
    rule = {}
    for name, module in decisions.items():
        if name.startswith("former") and module is None:
            continue
        check = _language_rule(module)
        wrong_fails = sum(check(p, a) == "fail" for p, a in same)
        caught = sum(check(p, a) == "fail" for p, a in cross)
        rule[name] = {
            "wrong_fails": f"{wrong_fails}/{len(same)}",
            "mismatches_caught": f"{caught}/{len(cross)}",
        }
    return {
        "languages": {lang: {k: len(v) for k, v in parts.items()} for lang, parts in corpus.items()},
        "detectors": accuracy,
        "rule_on_pairs": rule,
    }


def _detectors(current: types.ModuleType, former: types.ModuleType | None) -> dict[str, Callable[[str], Any]]:
    detectors: dict[str, Callable[[str], Any]] = {
        "cld2 (sure only)": current.detect_cld2,
        "fasttext lid.176 lite": lambda text: current.detect_fasttext(text, LANGUAGES),
    }
    if former is not None:
        lingua = sys.modules["former_language"].detector_for(LANGUAGES)

        def by_lingua(text: str) -> tuple[str | None, float]:
            values = lingua.compute_language_confidence_values(text)
            return (values[0].language.iso_code_639_1.name.lower(), values[0].value) if values else (None, 0.0)

        detectors["lingua (former)"] = by_lingua
    return detectors


def _language_rule(rules: types.ModuleType | None) -> Callable[[str, str], str]:
    from amd_assets.verification import rules as current

    module = rules or current
    settings = module.RuleSettings()

    def check(prompt: str, answer: str) -> str:
        return module.check_language(prompt, r1("ok", answer), settings).verdict

    return check
