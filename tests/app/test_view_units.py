"""Pure app-layer helpers: messages for the browser, what each check used, counterexample marks, accept rules."""

import pytest

from mips.errors import CheckpointError, SandboxError, TaskFileError
from mips.program.program import Program
from mips.program.verify import Verification
from mips.regression.formula import Formula
from workbench.program_accept import acceptable, accepted_record, download_choice
from workbench.user_messages import clean, for_browser
from workbench.verification_view import check_rows, counterexample_table, wrong_steps

WHAT = "Task file 'loop.py'"
SANDBOX = [
    (SandboxError(f"{WHAT} did not finish within the wall-clock limit of 120 s and was stopped.", kind="timeout"),
     "Task file 'loop.py' did not finish within 2 minutes and was stopped. Check target(xs) and the file's top "
     "level for an endless loop, make it faster, and upload it again."),
    (SandboxError(f"{WHAT} used more than the CPU-time limit of 60 s and was stopped. Make it do less work "
                  f"(no endless loops).", kind="cpu"),
     "Task file 'loop.py' used more than 60 seconds of computing time and was stopped. Check it for an endless "
     "loop, make it do less work, and upload it again."),
    (SandboxError(f"{WHAT} ran out of its memory limit of 2048 MB. Make it use less memory.", kind="memory"),
     "Task file 'loop.py' needed more than 2,048 MB of memory and was stopped. Make it use less memory."),
    (SandboxError(f"{WHAT} crashed: the sandboxed process was killed by signal 9 before returning a result. "
                  f"Fix the code.\n/tmp/mips-sandbox-k2j/err: Traceback", kind="crashed"),
     "Task file 'loop.py' stopped before it finished (it crashed or called exit()). Fix the "
     "file and upload it again."),
    (SandboxError(f"{WHAT} was cancelled.", kind="cancelled"), "Task file 'loop.py' was cancelled: nothing changed."),
]


@pytest.mark.parametrize("error, message", SANDBOX, ids=[e.kind for e, _ in SANDBOX])
def test_sandbox_limits_are_said_in_the_browsers_words(error, message):
    text = for_browser(error, what=WHAT)
    assert text == message
    assert "/tmp" not in text and "cpu_seconds" not in text and "wall-clock" not in text


def test_server_paths_and_server_settings_leave_a_message():
    text = clean("Task file 'a.py' (target on 4000 sequences) used too much time in /tmp/mips-sandbox-x1/err. "
                 "Raise the cpu_seconds of SandboxLimits to allow it. Make target(xs) faster.")
    assert "/tmp" not in text and "cpu_seconds" not in text and "SandboxLimits" not in text
    assert "a temporary file on the server" in text and text.endswith("Make target(xs) faster.")
    assert clean("read /root/project/assets/zoo/Sum_Last2.pt") == "read 'Sum_Last2.pt'"


def test_a_file_that_is_not_a_checkpoint_gets_a_plain_message():
    text = for_browser(CheckpointError("Cannot read the uploaded checkpoint: it is not a valid MIPS checkpoint (a "
                                       "checkpoint is the zip archive that torch.save writes; this file is not one: "
                                       "File is not a zip file). Save the network again with "
                                       "`mips.network.save_checkpoint` or `python -m mips train`."),
                       what="The upload 'notes.pt'")
    assert text.startswith("The upload 'notes.pt' is not a network checkpoint.")
    assert "zip" not in text and "save_checkpoint" not in text


def test_task_file_rules_keep_their_message():
    assert for_browser(TaskFileError("Task file 'a.py': SEQ_LEN must be an int in [1, 1000]. Got 0 instead.")) == \
        "Task file 'a.py': SEQ_LEN must be an int in [1, 1000]. Got 0 instead."


def _verification(**kw) -> Verification:
    base = dict(task_accuracy=1.0, rnn_agreement=1.0, n_sequences=2_000, exhaustive=False,
                length_generalization=1.0, length=50)
    return Verification(**{**base, **kw})


def test_check_rows_say_how_many_sequences_each_check_used():
    rows = check_rows(_verification(), seq_len=10, n_generated=20_000)
    assert rows[0]["sequences checked"] == ("2,000 test sequences of length 10 (the test part of the 20,000 "
                                            "sequences generated for this analysis)")
    assert rows[1]["sequences checked"] == "the same 2,000"
    assert rows[2]["sequences checked"] == "10,000 random sequences of length 50 (5x the training length)"
    rows = check_rows(_verification(exhaustive=True, n_sequences=1024, length_generalization=None, length=0),
                      seq_len=10, n_generated=20_000)
    assert rows[0]["sequences checked"] == "all 1,024 possible input sequences of length 10"
    assert rows[-1] == {"check": "longer sequences", "sequences checked": "none", "result": "not run"}


STEPS = [{"step": 0, "input": 1, "program_state": {"a": 1}, "program_output": 1, "expected": 1},
         {"step": 1, "input": 1, "program_state": {"a": 1}, "program_output": 1, "expected": 0},
         {"step": 2, "input": 0, "program_state": {"a": 1}, "program_output": 1, "expected": 1}]


def test_counterexample_marks_the_wrong_steps():
    assert wrong_steps(STEPS) == [1]
    styler = counterexample_table(STEPS)
    frame = styler.data
    assert list(frame.columns)[0] == "ok" and list(frame["ok"]) == ["yes", "WRONG", "yes"]
    styler._compute()
    cols = list(frame.columns)
    marked = {cols[c] for (r, c), props in styler.ctx.items() if ("background-color", "#f4a8a3") in props}
    shaded = {cols[c] for (r, c), props in styler.ctx.items() if ("background-color", "#fde2e1") in props}
    assert {r for (r, c), props in styler.ctx.items() if props} == {1}       # only the wrong step
    assert marked == {"ok", "program_output", "expected"}
    assert shaded == {"step", "input", "program_state"}


def _program(kind: str = "symbolic") -> Program:
    if kind == "table":
        return Program(task="t", kind="table", method="state table", inputs=("x",), state=("s",), initial=(0,),
                       transitions={(0, (0,)): 0, (0, (1,)): 0}, table_outputs={0: (0,)})
    return Program(task="t", kind="symbolic", method="m", inputs=("x",), state=("a",), initial=(0,),
                   updates=(Formula(expr="a ^ x", method="t"),), outputs=(Formula(expr="a", method="t"),))


def test_only_exact_programs_can_be_accepted():
    assert acceptable(_program(), _verification()) == (True, "")
    ok, why = acceptable(_program("table"), _verification(task_accuracy=0.3691))
    assert not ok and why.startswith("This state table is right on 36.91% of the checked sequences")
    assert acceptable(_program("table"), _verification())[0]              # an exact table may be accepted
    assert not acceptable(_program(), None)[0]


def test_the_download_holds_the_accepted_program():
    record = accepted_record(_program(), _verification(), origin="generated")
    assert record["program"].startswith("def f(xs):") and record["solved"] is True
    assert download_choice(record, None, "GENERATED").source == record["program"]
    assert download_choice(None, None, "GENERATED").label == "Download the generated program (.py)"
    assert download_choice(None, _program(), "GENERATED").label == "Download the verified edited program (.py)"
