"""Rule checks and language identification: the `rules`, `languages` and `stage` modes of benchmarks/verify.py.

Real text: English from the repo's samples (MATH problems and solutions, GSM8K, HumanEval programs); nine other
languages from the translations installed on this machine (gettext catalogues under /usr/share/locale, whose
msgid/msgstr pairs label the language for certain, and translated man pages, paragraphs identical to the English
page left out). Not shipped with the repo: on a machine without them those languages are skipped and said so.

The former implementation (lingua) is loaded from git (`FORMER_COMMIT`) and measured side by side with the
current one, interleaved in rounds so load drift on a shared machine hits both alike.
"""

from __future__ import annotations

import gettext
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
import types
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The last commit whose language rule used lingua (rule_language version 1).
FORMER_COMMIT = "a33d81f"
LANGUAGES = ("en", "zh", "fr", "de", "es", "ru", "ja", "ko", "pt", "it")
_LOCALES = {"zh": "zh_CN", "pt": "pt_BR"}
_MESSAGE_NOISE = re.compile(r"%[-\d.]*[a-zA-Z]|\{[^}]*\}|&(?=\w)|_(?=\w)|<[^>]+>|\\n|https?://\S+")


# --- real text ------------------------------------------------------------------------------------------------


def english_texts() -> list[str]:
    """MATH problems and solutions and GSM8K questions and answers."""
    with gzip.open(REPO / "data/samples/math/math_sample.jsonl.gz", "rt", encoding="utf-8") as fh:
        maths = [json.loads(line) for line in fh]
    gsm = [json.loads(line) for line in (REPO / "data/samples/gsm8k/gsm8k_test_sample.jsonl").open()]
    return [row[k] for row in maths for k in ("problem", "solution")] + [
        row[k].split("####")[0] for row in gsm for k in ("question", "answer")
    ]


def catalogue_messages(language: str) -> list[str]:
    """Translated messages of every gettext catalogue installed for `language` (msgid for English); catalogues of
    country and language names left out."""
    locale = "fr" if language == "en" else _LOCALES.get(language, language)
    found: dict[str, None] = {}
    for path in sorted(Path("/usr/share/locale", locale, "LC_MESSAGES").glob("*.mo")):
        if path.name.startswith("iso_"):
            continue
        try:
            with path.open("rb") as fh:
                catalogue = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError):
            continue
        for key, value in catalogue.items():
            original = key[0] if isinstance(key, tuple) else key
            if not original or not value or original == value:
                continue
            text = " ".join(_MESSAGE_NOISE.sub(" ", original if language == "en" else value).split())
            if len(text) >= 12 and sum(c.isalpha() for c in text) > 0.6 * len(text):
                found[text] = None
    return list(found)


def man_paragraphs(language: str, limit: int) -> list[str]:
    """Prose paragraphs of the man pages translated into `language` (English: the originals)."""
    locale = "" if language == "en" else _LOCALES.get(language, language)
    env = dict(os.environ, MANWIDTH="10000", LANG="C.UTF-8")

    def render(path: Path) -> list[str]:
        try:
            done = subprocess.run(["man", "-l", "-E", "UTF-8", str(path)], capture_output=True, text=True, env=env)
        except OSError:
            return []
        lines = (" ".join(line.split()) for line in re.sub(r".\x08", "", done.stdout).split("\n"))
        shortest = 80 if language in ("zh", "ja", "ko") else 200
        return [p for p in lines if len(p) >= shortest and sum(c.isalpha() for c in p) > 0.6 * len(p)]

    found: list[str] = []
    for path in sorted(Path("/usr/share/man", locale).glob("man[1-8]/*.gz")):
        original = Path(str(path).replace(f"/{locale}/", "/")) if locale else None
        untranslated = set(render(original)) if original and original.exists() else set()
        if locale and not untranslated:
            continue
        found += [p for p in render(path) if p not in untranslated]
        if len(found) >= limit:
            break
    return found[:limit]


def runs_of(messages: list[str], length: int, count: int, rng: random.Random) -> list[str]:
    """`count` texts of about `length` characters: consecutive messages of one catalogue (one topic)."""
    texts: list[str] = []
    for _ in range(50 * count):
        if len(texts) >= count or not messages:
            break
        start, parts, size = rng.randrange(len(messages)), [], 0
        while size < length and start < len(messages):
            parts.append(messages[start])
            size += len(messages[start]) + 1
            start += 1
        text = " ".join(parts)[:length]
        if len(text) >= 0.8 * length:
            texts.append(text)
    return texts


def language_corpus(rng: random.Random, per_language: int) -> dict[str, dict[str, list[str]]]:
    """Per language, `prompts` (~150 characters) and `answers` (~500) of real text; languages with no text on
    this machine are left out."""
    corpus: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        messages = catalogue_messages(language)
        man = man_paragraphs(language, per_language)
        prompts = runs_of(messages, 150, per_language, rng) + man[: per_language // 3]
        answers = runs_of(messages, 500, per_language, rng) + [p[:1500] for p in man[per_language // 3 :]]
        if language == "en":
            english = english_texts()
            prompts += rng.sample([t for t in english if len(t) < 400], per_language // 2)
            answers += rng.sample([t for t in english if len(t) >= 300], per_language // 2)
        if prompts and answers:
            corpus[language] = {"prompts": prompts, "answers": answers}
    return corpus


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


# --- R1-style responses ----------------------------------------------------------------------------------------

Response = tuple[str, str]  # (prompt, response text)


def _r1(think: str, answer: str) -> str:
    return f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"


def build_responses(count: int, seed: int) -> tuple[list[Response], dict[str, int]]:
    """`count` R1-style responses of ~2 KB: English maths and word problems (most), the other languages of the
    corpus, a few answers in another language than the prompt, code answers and runaway loops."""
    rng = random.Random(seed)
    english = english_texts()
    long_english = [t for t in english if len(t) > 300]
    corpus = language_corpus(rng, 120)
    others = [language for language in corpus if language != "en"]
    programs = [json.loads(line) for line in (REPO / "data/samples/humaneval/humaneval.jsonl").open()]
    kinds: Counter[str] = Counter()
    responses: list[Response] = []
    for index in range(count):
        roll = rng.random()
        think = " ".join(rng.sample(long_english, 3))[:1500]
        if roll < 0.78 or not others:
            answer = f"{rng.choice(long_english)[:300]} {rng.choice(long_english)[:300]}"  # unique, as answers are
            kind, prompt = "english", rng.choice(english)[:600]
        elif roll < 0.90:
            language = rng.choice(others)
            kind, prompt = "other_language", rng.choice(corpus[language]["prompts"])
            answer = " ".join(rng.sample(corpus[language]["answers"], 2))[:600]
            think = " ".join(rng.sample(corpus[language]["answers"], 3))[:1500]
        elif roll < 0.93:
            asked, answered = rng.sample(["en", *others], 2)
            kind, prompt = "language_mismatch", rng.choice(corpus[asked]["prompts"])
            answer = rng.choice(corpus[answered]["answers"])[:600]
        elif roll < 0.98:
            program = rng.choice(programs)
            kind, prompt = "code", program["prompt"]
            answer = f"Here is the function:\n```python\n{program['prompt']}{program['canonical_solution']}```"
        else:
            loop = rng.choice(long_english)[:200]
            kind, prompt, answer = "runaway", rng.choice(english)[:600], rng.choice(long_english)[:300]
            think = think[:600] + " " + loop * 15
        kinds[kind] += 1
        responses.append((f"{prompt} (#{index})", _r1(think, answer)))  # one response per problem: no cache hits
    return responses, dict(kinds)


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
    prose = {t: current.prose_of(t, 2000)[0] for _, t in texts}
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
        return module.check_language(prompt, _r1("ok", answer), settings).verdict

    return check


# --- the stage on a generated partition --------------------------------------------------------------------------


def general_problems(count: int, seed: int, source: str) -> list[dict[str, Any]]:
    """`count` curated general problems (no reference answer, no tests) with R1-style existing traces of ~2 KB."""
    from amd_assets.ingest.raw import problem_id

    responses, _ = build_responses(count, seed)
    rows = []
    for index, (prompt, text) in enumerate(responses):
        think, _, rest = text.removeprefix("<think>\n").partition("\n</think>\n<answer>\n")
        key = f"g{index}"
        rows.append(
            {
                "problem_id": problem_id(source, key),
                "source": source,
                "source_file": f"data/{source}.jsonl",
                "source_row": index,
                "row_key": key,
                "category": "general",
                "subcategory": None,
                "difficulty": None,
                "language": "en",
                "prompt": prompt,
                "reference_answer": None,
                "test_cases": None,
                "num_test_cases": 0,
                "trace_think": think,
                "trace_answer": rest.removesuffix("\n</answer>"),
                "trace_origin": "existing",
                "trace_model": "deepseek-r1",
                "metadata": "{}",
            }
        )
    return rows


def bench_stage(count: int, seed: int, profile: str | None) -> dict[str, object]:
    """`response_verdicts` materialized for a generated general source of `count` problems with existing traces
    (rules only, no judge configured): rows/s of the real asset, optionally under cProfile (`profile`: a path)."""
    import cProfile
    import tempfile

    import pyarrow as pa
    from dagster import materialize

    from amd_assets.contracts.tables import NORMALIZED_PROBLEMS
    from amd_assets.resources import build_resources
    from amd_assets.settings import fill_environment_defaults
    from amd_assets.verification.assets import response_verdicts
    from amd_assets.verification.tables import RESPONSE_VERDICTS
    from resources.lakehouse import LakehouseResource
    from tests.dagster_support import source_instance

    source = "generated_general"
    fill_environment_defaults()
    with tempfile.TemporaryDirectory() as root:
        lakehouse = LakehouseResource(root=root)
        batch = pa.RecordBatch.from_pylist(general_problems(count, seed, source), schema=NORMALIZED_PROBLEMS.schema)
        schema = NORMALIZED_PROBLEMS.schema
        lakehouse.replace_partition("curated_problems", [batch], schema, {"source": source}, ["source"])
        resources = build_resources(overrides={"lakehouse": lakehouse})
        instance = source_instance(source)
        profiler = cProfile.Profile() if profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = materialize([response_verdicts], partition_key=source, instance=instance, resources=resources)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = lakehouse.count(RESPONSE_VERDICTS.name)
    metadata = result.asset_materializations_for_node("response_verdicts")[0].metadata
    return {
        "problems": count,
        "verdict_rows": rows,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "responses_per_s": round(count / seconds, 1),
        "verdicts": metadata["verdicts"].value,
        "math_pool": metadata["math_pool"].value,
    }
