"""Real text in ten languages and the R1-style responses built from it, for the `rules`, `languages` and
`stage` modes of benchmarks/verify.py (benchmarks/verify_rules.py, benchmarks/verify_stage.py).

Real text: English from the repo's samples (MATH problems and solutions, GSM8K, HumanEval programs); nine other
languages from the translations installed on this machine (gettext catalogues under /usr/share/locale, whose
msgid/msgstr pairs label the language for certain, and translated man pages, paragraphs identical to the English
page left out). Not shipped with the repo: on a machine without them those languages are skipped and said so.
"""

from __future__ import annotations

import gettext
import gzip
import json
import os
import random
import re
import subprocess
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


# --- R1-style responses ----------------------------------------------------------------------------------------


Response = tuple[str, str]  # (prompt, response text)


def r1(think: str, answer: str) -> str:
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
        responses.append((f"{prompt} (#{index})", r1(think, answer)))  # one response per problem: no cache hits
    return responses, dict(kinds)
