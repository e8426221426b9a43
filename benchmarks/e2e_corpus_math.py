"""Math problems of the generated corpus (`benchmarks/e2e_corpus.py`): a real MATH answer as the reference, and a
trace that boxes the same answer, an equivalent spelling of it or a wrong one."""

from __future__ import annotations

import random
from typing import Any

from e2e_corpus_text import Writer, response


def equivalent(answer: str, rng: random.Random) -> str:
    """Another spelling of the same answer (what math-verify must see as equal)."""
    if answer.lstrip("-").isdigit():
        return rng.choice((f"{answer}.0", f"{answer}", f"\\frac{{{2 * int(answer)}}}{{2}}"))
    if "\\frac" in answer:
        return answer.replace("\\frac", "\\dfrac")
    if "," in answer:
        return answer.replace(",", ", ")
    return f" {answer} "


def wrong(answer: str, others: list[str], rng: random.Random) -> str:
    if answer.lstrip("-").isdigit():
        return str(int(answer) + rng.choice((-1, 1, 2)))
    other = rng.choice(others)
    return other if other != answer else f"{answer}+1"


def math_row(writer: Writer) -> dict[str, Any]:
    rng = writer.rng
    reference = rng.choice(writer.texts.math_answers)
    roll = rng.random()
    given = (
        reference
        if roll < 0.65
        else equivalent(reference, rng)
        if roll < 0.8
        else wrong(reference, writer.texts.math_answers, rng)
    )
    final = f"Therefore, the final answer is $\\boxed{{{given}}}$."
    prompt = writer.sentences(2, 4) + " What is the value asked for? Give your answer in simplest form."
    return {"problem": prompt, "answer": reference, "response": response(writer, final)}
