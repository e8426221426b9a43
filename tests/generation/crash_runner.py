"""Materialize one `teacher_responses` partition in this process; the crash test SIGKILLs it mid-way.

usage: python crash_runner.py LAKEHOUSE_ROOT BASE_URL PARTITION CHECKPOINT_EVERY MAX_CONCURRENCY
"""

from __future__ import annotations

import sys

from dagster import materialize

from amd_assets.generation.assets import teacher_responses
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource
from tests.dagster_support import source_instance


def main(root: str, url: str, partition: str, checkpoint_every: str, concurrency: str) -> None:
    result = materialize(
        [teacher_responses],
        partition_key=partition,
        instance=source_instance(partition),
        resources={
            "lakehouse": LakehouseResource(root=root),
            "teacher": TeacherResource(backend="openai", base_urls=url, max_concurrency=int(concurrency)),
            "judge": JudgeResource(),
        },
        run_config={"ops": {"teacher_responses": {"config": {"checkpoint_every": int(checkpoint_every)}}}},
    )
    sys.exit(0 if result.success else 1)


if __name__ == "__main__":
    main(*sys.argv[1:6])
