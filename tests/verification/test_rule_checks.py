"""Rule checks: format, runaway repetition, length bounds, language consistency with the prompt."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from amd_assets.verification.language import fasttext_model, strip_non_prose
from amd_assets.verification.rules import (
    RuleSettings,
    _max_ngram,
    check_format,
    check_language,
    check_length,
    check_repetition,
    run_rules,
    verifier_version,
)

DEFAULT = RuleSettings()
ANSWER_ONLY = RuleSettings(require_think=False)
GOOD = "<think>\nAdd the two numbers: 2 + 2 = 4.\n</think>\n<answer>\n4\n</answer>\n"


@pytest.mark.parametrize(
    ("text", "settings"),
    [
        (GOOD, DEFAULT),
        # R1's chat template opens <think> in the prompt: the text starts inside the think block.
        ("Add them: 2 + 2 = 4.\n</think>\n\n<answer>4</answer>", DEFAULT),
        ("<answer>4</answer>", ANSWER_ONLY),
        ("  <think>x</think><answer>4</answer>  \n", DEFAULT),
        ("<think>x</think>Final:<answer>4</answer>", RuleSettings(allow_text_outside=True)),
    ],
)
def test_format_accepts(text: str, settings: RuleSettings) -> None:
    verdict = check_format(text, settings)
    assert (verdict.passed, verdict.verdict, verdict.reason) == (True, "pass", "ok")


@pytest.mark.parametrize(
    ("text", "settings", "reason"),
    [
        ("<think>2 + 2 = 4</think>\nThe answer is 4.", DEFAULT, "missing_answer"),
        ("The answer is 4.", ANSWER_ONLY, "missing_answer"),
        ("<think>x</think><answer>  \n </answer>", DEFAULT, "empty_answer"),
        ("<answer>4</answer>", DEFAULT, "missing_think"),
        ("<think> </think><answer>4</answer>", DEFAULT, "empty_think"),
        ("<think>x<answer>4</answer>", DEFAULT, "unclosed_think"),
        ("<think>x</think><answer>4", DEFAULT, "unclosed_answer"),
        ("<think>x</think><think>y</think><answer>4</answer>", DEFAULT, "duplicate_tag"),
        ("<think>x</think><answer>4</answer><answer>5</answer>", DEFAULT, "duplicate_tag"),
        ("<think>x<answer>4</answer></think>", DEFAULT, "nested_tags"),
        ("<answer>4</answer><think>x</think>", DEFAULT, "tag_order"),
        ("<think>x</think>\n</answer>4<answer>", DEFAULT, "unbalanced_tag"),
        ("<answer>4</answer> x </think>", ANSWER_ONLY, "unbalanced_tag"),
        ("<think>x</think>So:<answer>4</answer>", DEFAULT, "text_outside_tags"),
        ("<think>x</think><answer>4</answer> trailing", DEFAULT, "text_outside_tags"),
    ],
)
def test_format_rejects(text: str, settings: RuleSettings, reason: str) -> None:
    verdict = check_format(text, settings)
    assert (verdict.passed, verdict.verdict, verdict.reason) == (False, "fail", reason)
    assert verdict.verifier == "rule_format"


def test_repetition_passes_varied_long_text() -> None:
    think = " ".join(f"Step {i}: multiply {i} by {i + 1} to get {i * (i + 1)}." for i in range(3000))
    verdict = check_repetition(f"<think>{think}</think><answer>done</answer>", DEFAULT)
    assert verdict.passed, verdict.detail


def test_repeated_tail_of_20k_chars_fails_fast() -> None:
    # One 2500-char chunk repeated 8 times after normal reasoning: its 20-word n-grams reach only 8 copies
    # (below the default 10), so this exercises the tail rule rather than the n-gram rule.
    rng_words = [f"w{(i * 7919) % 10007}" for i in range(500)]
    chunk = " ".join(rng_words)[:2500]
    text = "<think>" + " ".join(f"Line {i} checks case {i}." for i in range(2000)) + chunk * 8
    assert len(chunk) * 8 >= 20000
    started = time.process_time()  # CPU time: a busy machine must not fail this
    verdict = check_repetition(text, DEFAULT)
    assert time.process_time() - started < 1.0
    assert (verdict.passed, verdict.reason) == (False, "repeated_tail")
    assert verdict.detail["tail_period"] == 2500 and verdict.detail["tail_chars"] >= 20000


def test_character_loop_without_words_fails_as_tail() -> None:
    verdict = check_repetition("<think>so the value is 0.1" + "0" * 20000, DEFAULT)
    assert (verdict.passed, verdict.reason, verdict.detail["tail_period"]) == (False, "repeated_tail", 1)


def test_ngram_repeated_in_the_middle_fails() -> None:
    loop = "Wait, maybe I should double-check the second derivative before moving on to the final step here. " * 15
    verdict = check_repetition(f"<think>Start. {loop} OK.</think><answer>x = 2</answer>", DEFAULT)
    assert (verdict.passed, verdict.reason) == (False, "ngram_repeat")


def test_repetition_thresholds_are_configurable() -> None:
    text = "<think>" + "let me check again. " * 6 + "</think><answer>1</answer>"
    assert check_repetition(text, DEFAULT).passed
    strict = RuleSettings(ngram_n=4, ngram_max_repeats=5)
    assert check_repetition(text, strict).reason == "ngram_repeat"


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (RuleSettings(), "ok"),
        (RuleSettings(think_min=100), "think_too_short"),
        (RuleSettings(think_max=10), "think_too_long"),
        (RuleSettings(answer_max=1), "answer_too_long"),
        (RuleSettings(length_unit="approx_tokens", answer_max=1), "ok"),  # "x = 42" is ~1.5 tokens
        (RuleSettings(length_unit="approx_tokens", think_max=3), "think_too_long"),
    ],
)
def test_length_bounds(settings: RuleSettings, reason: str) -> None:
    text = "<think>Solve for x: subtract 8.</think><answer>x=42</answer>"
    verdict = check_length(text, settings)
    assert (verdict.reason, verdict.passed) == (reason, reason == "ok")


def test_length_counts_a_missing_answer_as_empty() -> None:
    assert check_length("<think>x</think>", DEFAULT).reason == "answer_too_short"


FRENCH_PROMPT = "Expliquez pourquoi le ciel est bleu pendant la journée et rouge au coucher du soleil."


@pytest.mark.parametrize(
    ("answer", "passed", "reason", "response_language"),
    [
        pytest.param(
            "The sky looks blue because air molecules scatter short wavelengths of sunlight much more strongly than "
            "long ones, which is called Rayleigh scattering.",
            False,
            "language_mismatch",
            "en",
            id="mismatch_fails",
        ),
        pytest.param(
            "Le ciel paraît bleu parce que les molécules de l'air diffusent beaucoup plus la lumière de courte "
            "longueur d'onde : c'est la diffusion de Rayleigh.",
            True,
            "ok",
            "fr",
            id="match_passes",
        ),
    ],
)
def test_language_of_the_answer_against_the_prompt(answer: str, passed: bool, reason: str, response_language: str):
    verdict = check_language(FRENCH_PROMPT, f"<think>ok</think><answer>{answer}</answer>", DEFAULT)
    assert (verdict.passed, verdict.reason) == (passed, reason)
    assert (verdict.detail["prompt_language"], verdict.detail["response_language"]) == ("fr", response_language)


def test_code_heavy_answer_passes() -> None:
    prompt = "Écrivez une fonction Python qui renvoie la liste des nombres premiers inférieurs à n, avec un crible."
    code = "def primes(n: int) -> list[int]:\n    sieve = [True] * n\n    # mark every multiple as composite\n"
    code += "    for i in range(2, int(n ** 0.5) + 1):\n        if sieve[i]:\n            sieve[i*i::i] = "
    code += "[False] * len(sieve[i*i::i])\n    return [i for i in range(2, n) if sieve[i]]\n"
    text = f"<think>crible</think><answer>Voici :\n```python\n{code}```\nComplexité $O(n \\log \\log n)$.</answer>"
    verdict = check_language(prompt, text, DEFAULT)
    assert verdict.passed and verdict.reason.startswith("inconclusive")
    assert "sieve" not in strip_non_prose(text) and "log" not in strip_non_prose(text)


@pytest.mark.parametrize("answer", ["42", "$x = \\frac{1}{2}$", "Paris."])
def test_short_answers_are_inconclusive_and_pass(answer: str) -> None:
    verdict = check_language(FRENCH_PROMPT, f"<think>x</think><answer>{answer}</answer>", DEFAULT)
    assert verdict.passed and verdict.reason == "inconclusive:too_short"


def test_model_is_loaded_once_from_the_installed_wheel() -> None:
    assert fasttext_model() is fasttext_model()


def test_run_rules_returns_every_rule_and_versions_track_settings() -> None:
    verdicts = run_rules("What is 2 + 2?", GOOD)
    assert [v.verifier for v in verdicts] == ["rule_format", "rule_repetition", "rule_length", "rule_language"]
    assert all(v.passed for v in verdicts)
    assert [v.verifier for v in run_rules("q", GOOD, RuleSettings(check_language=False))][-1] == "rule_length"
    assert verifier_version("rule_length", DEFAULT) != verifier_version("rule_length", RuleSettings(answer_max=9))
    assert verifier_version("rule_format", DEFAULT) == verifier_version("rule_format", RuleSettings(answer_max=9))
    assert set(verdicts[0].as_dict()) == {"verifier", "verifier_version", "passed", "verdict", "reason", "detail"}


def test_answer_without_answer_tag_fails_the_rules() -> None:
    verdicts = {v.verifier: v for v in run_rules("What is 2 + 2?", "<think>2 + 2 = 4</think> It is 4.")}
    assert not verdicts["rule_format"].passed and verdicts["rule_format"].reason == "missing_answer"


def _max_ngram_by_counting_every_window(words: list[str], n: int) -> tuple[int, str]:
    """The former implementation (every window counted): what the filtered count must equal."""
    if len(words) < n:
        return 0, ""
    counts = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    gram, count = counts.most_common(1)[0]
    return count, " ".join(gram)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 20])
def test_ngram_count_equals_counting_every_window(n: int) -> None:
    rng = random.Random(n)
    for vocabulary in (3, 8, 40, 400):
        for length in (0, n, 2 * n, 60, 400):
            words = [f"w{rng.randrange(vocabulary)}" for _ in range(length)]
            if length > 30 and rng.random() < 0.5:  # plant a loop
                words[10:10] = words[:n] * rng.randint(2, 12)
            assert _max_ngram(words, n) == _max_ngram_by_counting_every_window(words, n), (vocabulary, length)
