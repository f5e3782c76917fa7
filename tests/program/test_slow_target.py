"""A task file whose target is too slow for a check: the check is skipped with its reason and the
program is kept (issue 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mips.errors import SandboxError, TaskFileError
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.check_sets import prepare_checks_or_skip
from mips.sandbox import SandboxLimits
from mips.tasks import get_task, load_task_file, make_dataset
from mips.tasks.label_cache import CachedLabels
from tests.system_packages import TRUST_TASK_FILES

ZOO = Path(__file__).resolve().parents[2] / "assets" / "zoo"

# Running parity, as a person might write it; on sequences longer than the training length the
# target never finishes (a pathological regular expression would do the same).
SLOW_ON_LONG = '''
NAME = "Parity_Slow"
INPUT_DIM = 1
INPUT_VALUES = [0, 1]
SEQ_LEN = 10


def target(xs):
    """y_t = (x_0 + ... + x_t) mod 2."""
    if len(xs) > SEQ_LEN:
        while True:
            pass
    return [sum(xs[: t + 1]) % 2 for t in range(len(xs))]
'''

LIMITS = SandboxLimits(cpu_seconds=1.0, memory_mb=512, wall_seconds=20.0)


def _spec(tmp_path: Path):
    path = tmp_path / "parity_slow.py"
    path.write_text(SLOW_ON_LONG)
    return load_task_file(path, limits=LIMITS, trust=TRUST_TASK_FILES)


def test_a_check_the_task_cannot_label_is_skipped_with_its_reason():
    parity = get_task("Parity_All")

    def labels(x):
        if x.shape[1] > 10:
            raise SandboxError("Task file 'p.py' used more than the CPU-time limit of 1 s and was stopped.",
                               kind="cpu")
        return parity.compute_outputs(x)

    spec = dataclasses.replace(parity, compute_outputs=labels)
    data = make_dataset(parity, n_sequences=200, seed=1)
    checks, skipped = prepare_checks_or_skip(spec, dataset=data, n_length_sequences=20)
    assert checks.exhaustive and checks.x.shape[0] == 1024            # every length-10 sequence labelled
    assert checks.long_x is None and checks.length == 0
    assert len(skipped) == 1 and "length 50 skipped" in skipped[0] and "CPU-time limit" in skipped[0]

    def broken(x):
        raise TaskFileError("Task file 'p.py': target(xs) raised ValueError")

    checks, skipped = prepare_checks_or_skip(dataclasses.replace(parity, compute_outputs=broken), dataset=data,
                                             length_factor=0)
    assert not checks.exhaustive and checks.x is data.x_test                  # the labelled test split instead
    assert "replaced by the test split" in skipped[0] and "ValueError" in skipped[0]


def test_slow_target_does_not_lose_the_program(tmp_path):
    spec = _spec(tmp_path)
    result = run_pipeline(spec, PipelineConfig(n_sequences=2000, regression_seconds=1.0),
                          model=ZOO / "Parity_All.pt")
    verify = result.stages["verify"]
    assert result.program is not None and result.program.kind == "symbolic", verify.message
    assert result.solved and verify.status == "ok"
    assert result.verification.exhaustive and result.verification.length_generalization is None
    assert "length 50 skipped" in verify.message
    labels = result.task.compute_outputs
    assert isinstance(labels, CachedLabels) and labels.labelled <= 1024      # each sequence labelled once
