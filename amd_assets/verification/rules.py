"""Rule checks run on every response: format, runaway repetition, length bounds, language consistency.

Pure functions, no I/O. Each returns a `RuleVerdict`; `run_rules` runs all four.

Format (verifier `rule_format`), exactly what is accepted:
  - the only recognised tags are `<think>`, `</think>`, `<answer>`, `</answer>` (case-sensitive, no attributes);
  - each tag appears at most once (`duplicate_tag`), and every block is closed (`unclosed_think`,
    `unclosed_answer`); a closing tag without its opening tag fails (`unbalanced_tag`), with one exception:
    when `implicit_think_open` is on, a text that starts inside the think block (R1's chat template puts
    `<think>` in the prompt) and has `</think>` before anything else is accepted as if it opened with `<think>`;
  - the think block, if present, ends before `<answer>` opens (`nested_tags` when one block sits inside the
    other, `tag_order` when the answer comes first);
  - `<answer>` is required (`missing_answer`) and must hold non-whitespace text (`empty_answer`);
  - `<think>` is required only when `require_think` (`missing_think`); then its text must be non-empty
    (`empty_think`). Existing traces may be answer-only, so their stage turns `require_think` off;
  - outside the blocks only whitespace is allowed (`text_outside_tags`) unless `allow_text_outside`.

Repetition (`rule_repetition`) fails when either holds:
  - some word n-gram (`\\S+` tokens, n = `ngram_n`) occurs at least `ngram_max_repeats` times (`ngram_repeat`);
  - the text (trailing whitespace dropped) ends in a run that repeats one chunk of at most `tail_max_period`
    chars, covering at least `tail_min_chars` chars and at least `tail_min_repeats` copies (`repeated_tail`).
    The run may end mid-chunk, as a generation cut at the token limit does.

Length (`rule_length`): think and answer lengths (missing = 0) within [min, max], in chars, or in approximate
tokens (chars / `chars_per_token`) when `length_unit == "approx_tokens"`. None = unbounded.

Language (`rule_language`): prose of the prompt and of the answer (plus the think block when
`language_include_think`) are compared after stripping code, LaTeX, URLs and tags (`language.py`). Texts with fewer
than `language_min_letters` letters pass with reason `inconclusive:too_short` (a short answer, "42" or a code
block, carries no language signal). When CLD2 is sure both are in the same language of `languages`, the response
passes; otherwise fastText detects each among `languages`, and the rule fails only when both are detected with
confidence >= `language_min_confidence` and differ; below the bar, or outside `languages`, it passes with reason
`inconclusive:ambiguous`: a wrong fail throws away good data.

Verifier versions are `<rule version>+<hash of the settings the rule reads>`, so changing a threshold re-verifies.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from amd_assets.verification.language import Detection, detect, has_letters, prose_of, same_language_cld2

PASS = "pass"
FAIL = "fail"

# rule_language 2: CLD2, then fastText (lingua before); the detail names the detector.
_RULE_VERSIONS = {"rule_format": "1", "rule_repetition": "1", "rule_length": "1", "rule_language": "2"}
_TAG = re.compile(r"</?(?:think|answer)>")


class RuleSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # format
    require_think: bool = True
    implicit_think_open: bool = True
    allow_text_outside: bool = False
    # repetition
    ngram_n: int = 20
    ngram_max_repeats: int = 10
    tail_max_period: int = 4000
    tail_min_chars: int = 2000
    tail_min_repeats: int = 4
    # length
    length_unit: Literal["chars", "approx_tokens"] = "chars"
    chars_per_token: float = 4.0
    think_min: int | None = None
    think_max: int | None = None
    answer_min: int | None = 1
    answer_max: int | None = None
    # language
    check_language: bool = True
    languages: tuple[str, ...] = ("en", "zh", "fr", "de", "es", "ru", "ja", "ko", "pt", "it")
    language_min_letters: int = 40
    language_min_confidence: float = 0.6
    language_max_chars: int = 2000
    language_include_think: bool = False


_SETTINGS_READ = {
    "rule_format": ("require_think", "implicit_think_open", "allow_text_outside"),
    "rule_repetition": ("ngram_n", "ngram_max_repeats", "tail_max_period", "tail_min_chars", "tail_min_repeats"),
    "rule_length": ("length_unit", "chars_per_token", "think_min", "think_max", "answer_min", "answer_max"),
    "rule_language": (
        "languages",
        "language_min_letters",
        "language_min_confidence",
        "language_max_chars",
        "language_include_think",
    ),
}


@dataclass(frozen=True)
class RuleVerdict:
    verifier: str
    verifier_version: str
    passed: bool
    verdict: str  # "pass" | "fail"
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=256)
def verifier_version(verifier: str, settings: RuleSettings) -> str:
    read = {name: getattr(settings, name) for name in _SETTINGS_READ[verifier]}
    digest = hashlib.sha256(json.dumps(read, sort_keys=True, default=list).encode()).hexdigest()[:8]
    return f"{_RULE_VERSIONS[verifier]}+{digest}"


def _verdict(verifier: str, settings: RuleSettings, reason: str | None, detail: dict[str, Any]) -> RuleVerdict:
    passed = reason is None
    return RuleVerdict(
        verifier, verifier_version(verifier, settings), passed, PASS if passed else FAIL, reason or "ok", detail
    )


@dataclass(frozen=True)
class Sections:
    think: str | None
    answer: str | None
    problem: str | None  # first format violation, None when well-formed
    detail: dict[str, Any]


def parse_sections(text: str, settings: RuleSettings) -> Sections:
    """Split a response into think and answer, recording the first format violation (see module docstring)."""
    tags = [(m.group(), m.start(), m.end()) for m in _TAG.finditer(text)]
    names = [t[0] for t in tags]
    counts = Counter(names)
    dupes = sorted(name for name, n in counts.items() if n > 1)
    detail: dict[str, Any] = {"tags": dict(counts)}
    pos = {name: (start, end) for name, start, end in tags}
    implicit = settings.implicit_think_open and "</think>" in pos and "<think>" not in pos

    def span(open_tag: str, close_tag: str) -> tuple[int, int] | None:
        if open_tag in pos and close_tag in pos:
            return pos[open_tag][1], pos[close_tag][0]
        if implicit and open_tag == "<think>":
            return 0, pos[close_tag][0]
        return None

    think_span, answer_span = span("<think>", "</think>"), span("<answer>", "</answer>")
    think = text[think_span[0] : think_span[1]].strip() if think_span and think_span[0] <= think_span[1] else None
    answer = text[answer_span[0] : answer_span[1]].strip() if answer_span and answer_span[0] <= answer_span[1] else None

    def problem() -> str | None:
        if dupes:
            detail["duplicates"] = dupes
            return "duplicate_tag"
        if implicit and names[0] != "</think>":
            return "unbalanced_tag"
        for open_tag, close_tag, block in (("<think>", "</think>", "think"), ("<answer>", "</answer>", "answer")):
            if open_tag in pos and close_tag not in pos:
                return f"unclosed_{block}"
            if close_tag in pos and open_tag not in pos and not (implicit and block == "think"):
                return "unbalanced_tag"
            if open_tag in pos and pos[close_tag][0] < pos[open_tag][1]:
                return "unbalanced_tag"
        if "<answer>" not in pos:
            return "missing_answer"
        if think_span is not None:
            think_open = 0 if implicit else pos["<think>"][0]
            think_close, answer_open, answer_close = pos["</think>"][1], pos["<answer>"][0], pos["</answer>"][1]
            if think_open < answer_open < think_close or answer_open < think_open < answer_close:
                return "nested_tags"
            if answer_open < think_open:
                return "tag_order"
        if not answer:
            return "empty_answer"
        if think_span is None and settings.require_think:
            return "missing_think"
        if think_span is not None and settings.require_think and not think:
            return "empty_think"
        if not settings.allow_text_outside:
            # Here every present tag is unique and ordered, so the blocks (tags included) are plain ranges.
            blocks = [(pos["<answer>"][0], pos["</answer>"][1])]
            if think_span is not None:
                blocks.insert(0, (0 if implicit else pos["<think>"][0], pos["</think>"][1]))
            edges = [0, *(x for block in blocks for x in block), len(text)]
            outside = "".join(text[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2))
            if outside.strip():
                detail["outside_sample"] = outside.strip()[:200]
                return "text_outside_tags"
        return None

    return Sections(think, answer, problem(), detail)


@lru_cache(maxsize=2048)
def sections_of(response_text: str, settings: RuleSettings) -> Sections:
    """`parse_sections`, once per response for the rules that read its blocks (the stage runs them one after the
    other over a chunk of responses)."""
    return parse_sections(response_text, settings)


def check_format(response_text: str, settings: RuleSettings, sections: Sections | None = None) -> RuleVerdict:
    sections = sections or sections_of(response_text, settings)
    return _verdict("rule_format", settings, sections.problem, sections.detail)


def _max_ngram(words: list[str], n: int) -> tuple[int, str]:
    """(count, text) of the most frequent word n-gram, the earliest seen among equals (`Counter.most_common`).

    Only n-grams that can repeat are counted: an n-gram seen twice is made of words, and of bigrams, each seen
    twice, so only windows inside runs of repeated words (a cheap first filter), then of repeated bigrams, are
    counted, found with C-level counting and one regex; in ordinary text that is a handful of windows. When
    nothing repeats, every n-gram is seen once and the first one wins.
    """
    if len(words) < n:
        return 0, ""
    if n == 1:
        word, count = Counter(words).most_common(1)[0]
        return count, word
    if not _repeated_runs(words, n):
        return 1, " ".join(words[:n])
    bigrams = list(pairwise(words))
    counts: Counter[tuple[str, ...]] = Counter()
    for start, end in _repeated_runs(bigrams, n - 1):  # windows whose n-1 bigrams all repeat
        counts.update(tuple(words[i : i + n]) for i in range(start, end - n + 2))
    gram, count = counts.most_common(1)[0] if counts else ((), 1)
    if count < 2:
        return 1, " ".join(words[:n])
    return count, " ".join(gram)


def _repeated_runs(items: list[Any], length: int) -> list[tuple[int, int]]:
    """(start, end) of every run of at least `length` consecutive items that each occur more than once."""
    repeats = {item for item, seen in Counter(items).items() if seen > 1}
    repeated = bytes(map(repeats.__contains__, items))  # 1 where the item repeats, else 0
    return [run.span() for run in re.finditer(b"\x01{%d,}" % length, repeated)]


def _periodic_suffix(text: str, period: int) -> int:
    """Length of the longest suffix equal to itself shifted by `period` (monotone, so binary search)."""
    lo, hi = 0, len(text) - period
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text[len(text) - mid :] == text[len(text) - mid - period : len(text) - period]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def repeated_tail(text: str, max_period: int, probe_len: int = 32, candidates: int = 16) -> tuple[int, int]:
    """(period, covered chars) of the longest repeating tail; periods come from earlier hits of the last chars."""
    text = text.rstrip()
    if len(text) < 2 * probe_len:
        return 0, 0
    probe = text[-probe_len:]
    best = (0, 0)
    end = len(text) - 1
    for _ in range(candidates):
        hit = text.rfind(probe, max(0, len(text) - probe_len - max_period), end)
        if hit < 0:
            break
        period = len(text) - probe_len - hit
        covered = _periodic_suffix(text, period) + period
        if covered > best[1]:
            best = (period, covered)
        end = hit + probe_len - 1
    return best


def check_repetition(response_text: str, settings: RuleSettings) -> RuleVerdict:
    words = response_text.split()  # the `\S+` tokens: str.split and re's \s share one notion of whitespace
    count, gram = _max_ngram(words, settings.ngram_n)
    period, covered = repeated_tail(response_text, settings.tail_max_period)
    detail: dict[str, Any] = {"max_ngram_count": count, "tail_period": period, "tail_chars": covered}
    reason = None
    if count >= settings.ngram_max_repeats:
        reason = "ngram_repeat"
        detail["ngram"] = gram[:200]
    elif period and covered >= max(settings.tail_min_chars, settings.tail_min_repeats * period):
        reason = "repeated_tail"
        tail = response_text.rstrip()
        detail["chunk"] = tail[len(tail) - period :][:200]
    return _verdict("rule_repetition", settings, reason, detail)


def check_length(response_text: str, settings: RuleSettings, sections: Sections | None = None) -> RuleVerdict:
    sections = sections or sections_of(response_text, settings)
    scale = 1.0 if settings.length_unit == "chars" else 1.0 / settings.chars_per_token
    measured = {"think": len(sections.think or "") * scale, "answer": len(sections.answer or "") * scale}
    bounds = {
        "think": (settings.think_min, settings.think_max),
        "answer": (settings.answer_min, settings.answer_max),
    }
    detail: dict[str, Any] = {"unit": settings.length_unit, **{k: round(v, 1) for k, v in measured.items()}}
    reason = None
    for part, (low, high) in bounds.items():
        if low is not None and measured[part] < low:
            reason = f"{part}_too_short"
            break
        if high is not None and measured[part] > high:
            reason = f"{part}_too_long"
            break
    return _verdict("rule_length", settings, reason, detail)


def check_language(
    prompt: str, response_text: str, settings: RuleSettings, sections: Sections | None = None
) -> RuleVerdict:
    sections = sections or sections_of(response_text, settings)
    target = sections.answer if sections.answer is not None else response_text
    if settings.language_include_think and sections.think:
        target = f"{sections.think}\n{target}"
    asked_prose, answered_prose = (
        prose_of(prompt, settings.language_max_chars),
        prose_of(target, settings.language_max_chars),
    )
    enough = settings.language_min_letters
    if not (has_letters(asked_prose, enough) and has_letters(answered_prose, enough)):
        unknown = Detection(None, 0.0, "too_short")
        return _inconclusive(settings, "too_short", unknown, unknown, "none")
    # The cheap check: CLD2 sure that both are in the same language passes; anything else goes to fastText.
    agreed = same_language_cld2(asked_prose, answered_prose, settings.languages)
    if agreed is not None:
        language, asked_confidence, answered_confidence = agreed
        asked = Detection(language, asked_confidence, "detected")
        answered = Detection(language, answered_confidence, "detected")
        return _verdict("rule_language", settings, None, _language_detail(asked, answered, "cld2"))
    args = (settings.languages, settings.language_min_confidence)
    asked, answered = detect(asked_prose, *args), detect(answered_prose, *args)
    if asked.language is None or answered.language is None:
        why = asked.reason if asked.language is None else answered.reason
        return _inconclusive(settings, why, asked, answered, "fasttext")
    reason = None if asked.language == answered.language else "language_mismatch"
    return _verdict("rule_language", settings, reason, _language_detail(asked, answered, "fasttext"))


def _language_detail(asked: Detection, answered: Detection, detector: str) -> dict[str, Any]:
    return {
        "prompt_language": asked.language,
        "prompt_confidence": round(asked.confidence, 3),
        "response_language": answered.language,
        "response_confidence": round(answered.confidence, 3),
        "detector": detector,
    }


def _inconclusive(
    settings: RuleSettings, why: str, asked: Detection, answered: Detection, detector: str
) -> RuleVerdict:
    """A pass that says the languages could not be compared: a wrong fail would throw good data away."""
    detail = _language_detail(asked, answered, detector)
    version = verifier_version("rule_language", settings)
    return RuleVerdict("rule_language", version, True, PASS, f"inconclusive:{why}", detail)


def run_rules(prompt: str, response_text: str, settings: RuleSettings | None = None) -> list[RuleVerdict]:
    settings = settings or RuleSettings()
    sections = parse_sections(response_text, settings)  # parsed once, shared by the rules that need blocks
    verdicts = [
        check_format(response_text, settings, sections),
        check_repetition(response_text, settings),
        check_length(response_text, settings, sections),
    ]
    if settings.check_language:
        verdicts.append(check_language(prompt, response_text, settings, sections))
    return verdicts
