"""The state views are one registry: each is one module with its gate inside and one line in VIEWS."""

import importlib
import pkgutil

import mips.program.views as views
from mips.program import synthesis


def test_every_view_module_is_registered_once_and_every_entry_is_a_module_function():
    modules = {m.name for m in pkgutil.iter_modules(views.__path__)} - {"context"}
    registered = [fn.__module__.rsplit(".", 1)[-1] for _, fn in views.VIEWS]
    assert sorted(registered) == sorted(modules)
    assert len(set(registered)) == len(registered)
    for _, fn in views.VIEWS:
        module = importlib.import_module(fn.__module__)
        assert fn is module.programs and module.__doc__


def test_synthesize_is_a_loop_over_the_registry(monkeypatch):
    """A new view is one line: synthesize calls whatever VIEWS holds, in order."""
    calls = []

    def view(name):
        def programs(ctx):
            calls.append((name, len(ctx.programs)))
            return []
        return programs

    monkeypatch.setattr(synthesis, "VIEWS", (("one", view("one")), ("two", view("two"))))

    class Data:                     # the fields synthesize reads
        inputs = [[[[0]]]]
        x_index = 0
        outputs = [[[0]]]

    result = synthesis.synthesize(Data(), None, task="t")
    assert calls == [("one", 0), ("two", 0)] and result.programs == ()
