"""The second stage of semantic dedup: which candidate pairs of the ANN index are duplicates.

The index proposes every pair whose cosine reaches the lowest floor of the model's `DedupCosines`
(resources/embeddings/thresholds.py). A pair is then a duplicate when one of these holds (WordLlama floors):

1. `cosine`: cosine >= 0.97 - near-identical embeddings, whatever the words;
2. `few_differences`: cosine >= 0.80 and neither problem has more than `allowed_differences(n)` content tokens
   (amd_assets/semantic/content.py) the other lacks, n being the longer's count: 30% of n up to 3 tokens, or 20% of
   n for long problems - the planted 2-3-word edit, other numbers, renamed variables, one swapped word;
3. `contained`: cosine >= 0.87 and every content token of the shorter problem (>= 6 of them) is in the longer,
   which adds at most as many - the same problem with a clarification added;
4. `same_content`: cosine >= 0.70 and the same content tokens (>= 4) - variables renamed throughout, which moves a
   static embedding a long way ("$321_b$ ... find $b$" / "$131_a$ ... find $a$": cosine 0.74).

Why: a static embedding averages token vectors, so templated problems (MBPP's prompt with its asserts, HumanEval's
wrapper and doctests, short LaTeX exercises) are close although they ask different things. With the plain rule
(cosine >= 0.83) the real MBPP test set lost 172 of 500 problems and HumanEval 23 of 164, most of them different
problems. The content tokens of two such problems differ in the task's words and in every call of the function
under test; a copy with 2-3 words changed, other numbers or renamed variables keeps nearly all of them.

Measured (benchmarks/semantic_dedup.py calibrate / real; the plain 0.83 rule in brackets):
- labelled real pairs (data/semantic_pairs/pairs.jsonl, 322): same problem P 0.444 R 0.965 = 55/57 (P 0.306,
  R 0.965); same template P 0.782 R 0.915 (0.561 / 0.953); random pairs merged 0 (0), hard negatives merged 0.23
  (0.68). Each of `contained` and `same_content` keeps one labelled pair no other rule does (R 0.947 without it).
- planted corpus (7,042 real problems + 2,000 copies with 2-3 words changed): recall 0.976 (0.974); random pairs
  of real problems merged 0.006% (0.008%).
- real test sets as the pipeline prompts them, deduplicated together (data/semantic_pairs/real_drops.jsonl has
  the read labels): MBPP 11/500 dropped (172), HumanEval 1/164 (23), GSM8K 4/1,319 (13), MATH 792/5,000 (1,200).
  All 16 MBPP/HumanEval/GSM8K drops read as duplicates: 8 the same problem, 8 the same template with one swapped
  term that calls the same function or tells the same story (odd/even bits, quotient/remainder, decimal->octal
  and back, a GSM8K story asking another quantity); under the plain rule 58 of 76 read were different problems.
  MATH, 40 read: 21 same problem, 12 same template, 7 different (plain: 14 / 12 / 14), so about 140 distinct MATH
  problems are still dropped (2.8%, from about 420): short LaTeX exercises whose content is in the expression.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from resources.embeddings.thresholds import DedupCosines

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Share of the longer problem's content tokens that may differ, up to MOST_DIFFERENCES; long problems: LONG_SHARE.
SHORT_SHARE, MOST_DIFFERENCES, LONG_SHARE = 0.3, 3, 0.2
CONTAINED_MIN = 6  # a shorter problem with fewer content tokens is inside many others
SAME_CONTENT_MIN = 4  # "Compute $\sin 0^\circ$" has 1: identical content means little below this
# Occurrences of a token beyond this are not compared (bounds the feature space; a prompt that repeats one word
# more often is compared as if it had it this often).
MAX_OCCURRENCES = 64
PAIR_CHUNK = 1 << 18

RULES = ("cosine", "few_differences", "contained", "same_content")  # codes 1..4; 0 = not a duplicate
NOT_DUPLICATE, COSINE, FEW_DIFFERENCES, CONTAINED, SAME_CONTENT = range(5)


@dataclass(frozen=True)
class ContentIndex:
    """The content tokens of some rows as a binary rows x (token, occurrence) matrix: the k-th occurrence of a token
    is a feature of its own, so the dot product of two rows is the size of their multiset intersection."""

    sizes: np.ndarray  # content tokens (features) per row
    features: csr_matrix

    @classmethod
    def build(cls, rows: int, tokens_by_row: Iterable[tuple[int, list[str]]]) -> ContentIndex:
        """`tokens_by_row`: (row, content tokens) for the rows that have content, each row once; others stay
        empty. Features are gathered in compact int64 arrays (a Python list would cost ~40 bytes a token)."""
        from scipy.sparse import csr_matrix  # scipy is not imported with the code location

        vocabulary: dict[str, int] = {}
        sizes = np.zeros(rows, np.int64)
        row_ids, feature_ids = array("q"), array("q")
        for row, tokens in tokens_by_row:
            seen: dict[int, int] = {}
            for token in tokens:
                token_id = vocabulary.setdefault(token, len(vocabulary))
                occurrence = seen.get(token_id, 0)
                if occurrence < MAX_OCCURRENCES:
                    seen[token_id] = occurrence + 1
                    feature_ids.append(token_id * MAX_OCCURRENCES + occurrence)
            sizes[row] = sum(seen.values())
            row_ids.extend([row] * int(sizes[row]))
        features = csr_matrix(
            (
                np.ones(len(feature_ids), np.float32),
                (np.frombuffer(row_ids, np.int64), np.frombuffer(feature_ids, np.int64)),
            ),
            shape=(rows, max(len(vocabulary), 1) * MAX_OCCURRENCES),
        )
        return cls(sizes, features)

    def shared(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Content tokens rows i[k] and j[k] have in common (multiset intersection), per pair."""
        out = np.empty(len(i), np.int64)
        for start in range(0, len(i), PAIR_CHUNK):
            left = self.features[i[start : start + PAIR_CHUNK]]
            right = self.features[j[start : start + PAIR_CHUNK]]
            out[start : start + PAIR_CHUNK] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
        return out


def allowed_differences(longer: np.ndarray) -> np.ndarray:
    """How many content tokens each side may lack for `few_differences`, given the longer problem's count."""
    short = np.minimum(np.rint(SHORT_SHARE * longer), MOST_DIFFERENCES)
    return np.maximum(np.maximum(short, np.rint(LONG_SHARE * longer)), 1).astype(np.int64)


@dataclass(frozen=True)
class PairVerdicts:
    rule: np.ndarray  # int8 per pair: 0 not a duplicate, else 1 + the index in RULES
    differing: np.ndarray  # content tokens the more different side lacks (-1 without content)


def judge(pairs: np.ndarray, content: ContentIndex | None, cosines: DedupCosines) -> PairVerdicts:
    """The rule that makes each candidate pair (PAIRS dtype) a duplicate, or NOT_DUPLICATE. Without `content`
    only the cosine can."""
    similarity = pairs["similarity"]
    rule = np.where(similarity >= cosines.alone, COSINE, NOT_DUPLICATE).astype(np.int8)
    if content is None:
        return PairVerdicts(rule, np.full(len(pairs), -1, np.int64))
    i, j = pairs["i"], pairs["j"]
    shared = content.shared(i, j)
    lacks_i, lacks_j = content.sizes[j] - shared, content.sizes[i] - shared
    most, least = np.maximum(lacks_i, lacks_j), np.minimum(lacks_i, lacks_j)
    longer = np.maximum(content.sizes[i], content.sizes[j])
    shorter = np.minimum(content.sizes[i], content.sizes[j])
    weaker_first = (
        (SAME_CONTENT, (similarity >= cosines.same_content) & (most == 0) & (shorter >= SAME_CONTENT_MIN)),
        (
            CONTAINED,
            (similarity >= cosines.contained) & (least == 0) & (shorter >= CONTAINED_MIN) & (most <= shorter),
        ),
        (FEW_DIFFERENCES, (similarity >= cosines.few_differences) & (most <= allowed_differences(longer))),
        (COSINE, similarity >= cosines.alone),
    )
    for code, holds in weaker_first:  # a pair several rules accept is named by the strongest
        rule[holds] = code
    return PairVerdicts(rule, most)


def rule_name(code: int) -> str:
    return RULES[code - 1] if code else "none"
