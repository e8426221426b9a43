"""Math verification: a response's final answer checked with math-verify against the reference answer.

`answers` (extracting the final answer, the fast paths) -> `verdict` (one pair judged) -> `pool` (worker
processes under a CPU-time deadline, started from `warmup`) -> `leases` (which pool a run uses, and when it
starts).
"""
