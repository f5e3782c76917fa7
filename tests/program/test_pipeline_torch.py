"""A GRU and an LSTM trained in plain PyTorch, saved as state dict + description, become verified programs
through the pipeline (trace -> encode -> machine -> regress -> verify; the normalizers skipped)."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from mips.cli.main import main
from mips.pipeline import PipelineConfig, run_pipeline
from mips.program.program import run_program
from mips.program.verify import all_sequences
from mips.tasks import get_task

CONFIG = PipelineConfig(n_sequences=20_000, n_trace_sequences=4096, regression_seconds=2.0)


class Net(nn.Module):
    def __init__(self, cls, n_in, hidden, n_out):
        super().__init__()
        self.rnn = cls(n_in, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc(self.rnn(x)[0])


def train_and_save(tmp_path, task, kind, hidden, one_hot, classify, seed=0, max_steps=1500):
    """Train as a user would (Adam, minibatches of 512 sequences) until every sequence is right; save
    ``net.pt`` (the state dict) and ``net.json`` (its description) in ``tmp_path``."""
    spec = get_task(task)
    x = all_sequences(spec)
    y = torch.tensor(spec.compute_outputs(x)[..., 0])
    values = list(spec.input_values)
    xt = (nn.functional.one_hot(torch.tensor(x[..., 0]), len(values)).float() if one_hot
          else torch.tensor(x, dtype=torch.float32))
    n_classes = len(values) if classify else 1           # both tasks output one of the input values
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = Net(nn.GRU if kind == "gru" else nn.LSTM, xt.shape[-1], hidden, n_classes)
        opt = torch.optim.Adam(model.parameters(), lr=0.03)
        gen = torch.Generator().manual_seed(seed)
        for step in range(max_steps):
            b = torch.randint(0, x.shape[0], (512,), generator=gen)
            out = model(xt[b])
            loss = (nn.functional.cross_entropy(out.reshape(-1, n_classes), y[b].reshape(-1)) if classify
                    else ((out[..., 0] - y[b].float()) ** 2).mean())
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 49:
                with torch.no_grad():
                    out = model(xt)
                    pred = out.argmax(-1) if classify else out[..., 0].round()
                if bool((pred == y).all()):
                    break
        else:
            pytest.fail(f"the {kind} did not learn {task} in {max_steps} steps")
    finally:
        torch.set_num_threads(threads)
    torch.save(model.state_dict(), tmp_path / "net.pt")
    desc = {"kind": kind, "input_size": xt.shape[-1], "hidden_size": hidden, "rnn": "rnn", "readout": ["fc"],
            "input": {"encoding": "one-hot", "values": values} if one_hot else {"encoding": "raw"},
            "output": {"type": "classification", "classes": values} if classify else {"type": "regression"},
            "task": task}
    (tmp_path / "net.json").write_text(json.dumps(desc))
    return tmp_path / "net.pt"


def _assert_verified(result, task, kind):
    stages = {n: s.status for n, s in result.stages.items()}
    assert stages == {"model": "ok", "normalize": "skipped", "trace": "ok", "encode": "ok", "fsm": "ok",
                      "regress": "ok", "verify": "ok"}, {n: s.message for n, s in result.stages.items()}
    assert "normalizers are specific to the MIPS RNN" in result.stages["normalize"].message
    assert result.solved and result.program.kind == "symbolic"
    v = result.verification
    assert v.exhaustive and v.task_accuracy == 1.0 and v.rnn_agreement == 1.0 and v.length_generalization == 1.0
    report = result.report()
    assert report["rnn"] is None and report["network"]["kind"] == kind
    assert report["network"]["normalizers"].startswith("skipped: the normalizers are specific to the MIPS RNN")
    # the program computes the task, checked here independently of the verifier
    spec = get_task(task)
    x = np.random.default_rng(0).choice(spec.input_values, size=(200, 30, 1))
    np.testing.assert_array_equal(run_program(result.program, x).outputs, spec.compute_outputs(x))


CASES = [
    pytest.param("Parity_All", "gru", 4, False, False, id="GRU Parity_All raw regression"),
    pytest.param("Add_Mod_3", "lstm", 8, True, True, id="LSTM Add_Mod_3 one-hot classification"),
    pytest.param("Parity_All", "lstm", 4, True, True, id="LSTM Parity_All one-hot classification",
                 marks=pytest.mark.slow),
    pytest.param("Add_Mod_3", "gru", 8, True, True, id="GRU Add_Mod_3 one-hot classification", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("task,kind,hidden,one_hot,classify", CASES)
def test_torch_network_becomes_a_verified_program(tmp_path, task, kind, hidden, one_hot, classify):
    path = train_and_save(tmp_path, task, kind, hidden, one_hot, classify)
    result = run_pipeline(task, CONFIG, model=path)             # the description is the .json next to it
    _assert_verified(result, task, kind)


def test_command_line_takes_the_description(tmp_path, capsys):
    path = train_and_save(tmp_path, "Parity_All", "gru", 4, False, False)
    desc = path.rename(tmp_path / "weights.pt"), (tmp_path / "net.json").rename(tmp_path / "described.json")
    code = main(["run", "--task", "Parity_All", "--model", str(desc[0]), "--model-description", str(desc[1]),
                 "--n-sequences", "20000", "--regression-budget", "2", "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "SOLVED" in out and "normalizers are specific to the MIPS RNN" in out
    assert json.loads((tmp_path / "r.json").read_text())["network"]["kind"] == "gru"
    (tmp_path / "bad.json").write_text(json.dumps({"kind": "gru", "input_size": 1, "hidden_size": 5}))
    code = main(["run", "--task", "Parity_All", "--model", str(desc[0]), "--model-description",
                 str(tmp_path / "bad.json")])
    assert code == 2
    assert "needs (15, 1)" in capsys.readouterr().err
