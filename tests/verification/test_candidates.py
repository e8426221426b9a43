"""What verification judges: existing traces and teacher responses in one shape; programs extracted from code."""

from __future__ import annotations

from amd_assets.verification.candidates import existing_response_id
from amd_assets.verification.code_verifier import extract_program
from tests.verification.candidate_support import teacher_candidate


def test_existing_trace_ids_are_stable_and_distinct_per_problem_model_and_text():
    def trace_id(problem: str = "a" * 24, model: str | None = "human", think: str | None = None, answer: str = "4"):
        return existing_response_id(problem, model, think, answer)

    assert trace_id() == trace_id()
    assert trace_id() != trace_id(problem="b" * 24)
    assert trace_id() != trace_id(model="deepseek-r1")
    # a corrected trace in the source file is a new response: its old verdicts do not carry over
    assert trace_id() != trace_id(answer="5") and trace_id() != trace_id(think="because")
    assert len(trace_id(model=None)) == 24


def test_candidate_text_is_the_release_format():
    base = dict(category="math", prompt="q", reference_answer="1")
    assert teacher_candidate(**base, think="hmm", answer="1").text == "<think>\nhmm\n</think>\n<answer>\n1\n</answer>"
    assert teacher_candidate(**base, think=None, answer="1").text == "<answer>\n1\n</answer>"


def test_extract_program_takes_the_last_fitting_fence():
    answer = "First:\n```python\nprint(1)\n```\nBetter:\n```py\nprint(2)\n```\nC++:\n```cpp\nint main(){}\n```"
    assert extract_program(answer) == "print(2)\n"
    assert extract_program(answer, "cpp") == "int main(){}\n"
    assert extract_program("```\nx = 1\n```") == "x = 1\n"
    assert extract_program("no code here") is None
    assert extract_program("```js\nconsole.log(1)\n```") is None
