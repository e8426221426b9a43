"""The dataset card: README.md with composition tables and how to load the release, plus PNG plots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

COUNT = "count(*) AS samples FROM release_files GROUP BY ALL ORDER BY ALL"
PASS_RATES = """
SELECT v.verifier, count(*) AS verdicts, avg(v.passed::DOUBLE) AS pass_rate
FROM response_verdicts AS v
JOIN current_versions AS cv
    ON cv.origin = v.origin AND cv.verifier = v.verifier AND cv.verifier_version = v.verifier_version
WHERE v.source IN (SELECT DISTINCT source FROM release_files)
GROUP BY 1 ORDER BY 1
"""


def _markdown(connection: duckdb.DuckDBPyConnection, query: str) -> str:
    result = connection.execute(query)
    columns = [column[0] for column in result.description]
    rows = ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in result.fetchall()]
    return "\n".join(["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns), *rows])


def _pairs(connection: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[int]]:
    rows = connection.execute(query).fetchall()
    return [str(row[0]) for row in rows], [row[1] for row in rows]


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend, imported when a card is drawn (not at code load)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: plots are files
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> None:
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})  # no version stamp: a re-run is byte-identical
    plt.close(figure)


def _bars(path: Path, title: str, labels: list[str], values: Sequence[float], xlabel: str) -> None:
    figure, axes = _pyplot().subplots(figsize=(7, max(2.0, 0.35 * len(labels) + 1)))
    axes.barh(labels, values)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    _save(figure, path)


def write_plots(connection: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    plots = folder / "plots"
    labels, counts = _pairs(
        connection, "SELECT source || ' / ' || category, count(*) FROM release_files GROUP BY 1 ORDER BY 1"
    )
    _bars(plots / "source_category.png", "Samples by source / category", labels, counts, "samples")
    labels, counts = _pairs(connection, "SELECT difficulty, count(*) FROM release_files GROUP BY 1 ORDER BY 1")
    _bars(plots / "difficulty.png", "Difficulty mix", labels, counts, "samples")
    lengths = connection.execute("SELECT response_chars FROM release_files").fetchnumpy()["response_chars"]
    figure, axes = _pyplot().subplots(figsize=(7, 3.5))
    axes.hist(lengths, bins=50)
    axes.set_title("Assistant response length")
    axes.set_xlabel("characters")
    axes.set_ylabel("samples")
    _save(figure, plots / "response_length.png")
    rates = connection.execute(PASS_RATES).fetchall()
    _bars(
        plots / "pass_rates.png",
        "Pass rate by verifier (released sources, current versions)",
        [f"{name} (n={n})" for name, n, _ in rates],
        [rate for _, _, rate in rates],
        "pass rate",
    )
    return ["source_category", "difficulty", "response_length", "pass_rates"]


def missing_section(missing: dict[str, str]) -> str:
    """What the release leaves out (`amd materialize --release-partial`), or nothing."""
    if not missing:
        return ""
    lines = "\n".join(f"- `{source}`: {why}" for source, why in sorted(missing.items()))
    return f"""
## Missing sources

This is a partial release: these sources failed and are left out (also their rows from earlier runs):

{lines}
"""


def write_readme(
    connection: duckdb.DuckDBPyConnection,
    folder: Path,
    version: str,
    files: list[str],
    missing: dict[str, str] | None = None,
) -> None:
    jsonl = sorted(name for name in files if name.endswith(".jsonl.zst"))
    total = connection.execute("SELECT count(*) FROM release_files").fetchall()[0][0]
    tables = {
        "Source by category": f"SELECT source, category, {COUNT}",
        "Origin": f"SELECT origin, {COUNT}",
        "Difficulty": f"SELECT difficulty, {COUNT}",
        "Pass rate by verifier": PASS_RATES,
    }
    sections = [f"### {title}\n\n{_markdown(connection, query)}" for title, query in tables.items()]
    plots = "\n".join(f"![{name}](plots/{name}.png)" for name in write_plots(connection, folder))
    text = f"""# amd verified reasoning dataset — release `{version}`

{total} verified reasoning samples in the AM-DeepSeek-R1-Distilled format: one user turn (the problem, with
`info.reference_answer` / `info.test_case`) and one assistant turn `<think>…</think>\\n<answer>…</answer>`
(with `info.think_content` / `info.answer_content`). Every response passed the format, repetition, length and
language rules and its category's verifier (math-verify, sandboxed tests, or a judge) under the verifier
versions listed in `manifest.json`. Split by origin as in the paper: `existing_traces` (reasoning traces or
solutions that shipped with a source, verified) and `distilled` (new teacher responses). Every row carries
its lineage (`source`, `source_file`, `source_row`, `problem_id`, `response_id`, `verdicts`).
{missing_section(missing or {})}
## Files

- `jsonl/<split>-NNNNN.jsonl.zst`: the AM records plus our columns; `parquet/<split>-NNNNN.parquet`: the same
  rows with the full schema (`release_version`, `response_chars`, `completion_tokens`).
- `manifest.json`: upstream Delta versions, verifier versions, code version, row counts, sha256 of each file.

## Load it

```python
import datasets
ds = datasets.load_dataset("json", data_files={{"train": {jsonl!r}}})

import pyarrow.dataset
table = pyarrow.dataset.dataset("parquet/", format="parquet").to_table()

import duckdb
duckdb.sql("SELECT source, count(*) FROM 'parquet/*.parquet' GROUP BY 1")
```

## Composition

{(chr(10) * 2).join(sections)}

## Plots

{plots}
"""
    (folder / "README.md").write_text(text)
