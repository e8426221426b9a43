"""The content tokens of a problem: what semantic dedup compares once two problems' embeddings are close.

A static embedding is an average of token vectors, so two different problems that share a template (MBPP's
"Write a function to ... Your code should pass these tests: assert ...", HumanEval's wrapper and doctests, short
LaTeX exercises) sit close together. Their content tokens tell them apart; a copy with 2-3 words changed, other
numbers or renamed variables keeps almost all of them.

Content tokens, counted with multiplicity, from `embedding_view` (drawings removed, digits masked):
- words (runs of letters and underscores, so a code identifier is one token), lower-cased; LaTeX synonyms mapped
  (`\\dfrac` -> `frac`), layout commands (`\\left`, `\\displaystyle`) dropped;
- the operators inside math spans (`$...$`, `\\[...\\]`): `x^2+1` and `x^2-1` are different problems, while
  `<`/`>` in code or prose are text;
- without: English function words and instruction verbs (`the`, `find`, `compute`, `write`, `function`), number
  words (numbers are masked already), single letters (variable names) and answer-format sentences ("Express your
  answer as a common fraction."), none of which changes what is asked.
"""

from __future__ import annotations

import re

from amd_assets.semantic.text import embedding_view


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """a an the of to in on at by for from with and or but if then than that this these those is are was were be been
    being it its as into what which who whom whose when where why how there here do does did doesn don isn aren can
    could would should will shall may might must not no so such any all each every some other another same given let
    we you i he she they them his her their our us my me has have had also only just very about both either neither
    whether following below above find compute calculate determine evaluate express your answer write python
    function program"""
)
NUMBER_WORDS = _words(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion"""
)
LATEX_LAYOUT = _words("left right displaystyle textstyle text mathrm mathbf mathit quad qquad big bigg")
LATEX_SYNONYMS = {"dfrac": "frac", "tfrac": "frac", "dbinom": "binom", "tbinom": "binom"}
ANSWER_FORMAT = re.compile(
    r"(?:express|give|enter|write|round|leave) (?:your|the) answer\b[^.?!]*[.?!]?"
    r"|,? ?(?:in|to the nearest) (?:degrees|tenth|hundredth|thousandth|whole number|integer|percent|square units"
    r"|units|cents|dollars)\b"
    r"|,? ?in simplest (?:radical )?form\b",
    re.IGNORECASE,
)
MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$.*?\$|\\\[.*?\\\]|\\\(.*?\\\)", re.DOTALL)
WORD = re.compile(r"[^\W\d]+")
OPERATOR = re.compile(r"[-+*/=<>^!|]")
IGNORED = STOPWORDS | NUMBER_WORDS | LATEX_LAYOUT


def content_tokens(prompt: str) -> list[str]:
    """The content tokens of a prompt, in order (see the module docstring)."""
    view = ANSWER_FORMAT.sub(" ", embedding_view(prompt)).lower()
    tokens = []
    for word in WORD.findall(view):
        word = LATEX_SYNONYMS.get(word, word).strip("_")
        if len(word) > 1 and word not in IGNORED:
            tokens.append(word)
    for span in MATH_SPAN.findall(view):
        tokens.extend(OPERATOR.findall(span))
    return tokens
