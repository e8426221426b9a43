"""General problems of the generated corpus (`benchmarks/e2e_corpus.py`): an instruction lead and real sentences
as the prompt, real sentences as the trace's final answer."""

from __future__ import annotations

from typing import Any

from e2e_corpus_text import Writer, response

LEADS = (
    "Explain your reasoning step by step.",
    "Answer the question below and justify it.",
    "Read the passage and answer the question at the end.",
    "Think about the situation described and give a clear answer.",
)


def general_row(writer: Writer) -> dict[str, Any]:
    prompt = f"{writer.rng.choice(LEADS)} {writer.sentences(3, 5)}"
    final = writer.sentences(3, 6)
    return {"prompt": prompt, "response": response(writer, final)}
