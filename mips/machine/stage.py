"""The machine stage: the chosen encoding's machine, or a cleaner one when it has conflicts.

A machine has a conflict when one state and input lead to two successors, or one state shows two
outputs. Then the runner-up encodings are tried, and the network's own behaviour (states grouped
by what the network outputs after short probe sequences, :mod:`mips.encodings.behaviour`), short
probes first (long ones leave the lengths the network was trained on), then probing only states
early enough that the probes stay within the traced length. The machine with the fewest
conflicts wins, and among those a machine the data covers wins over an "unsaturated" one (states
that keep growing while the variables stay bounded); the message says what was tried.
"""

from __future__ import annotations

from mips.encodings.base import Encoding
from mips.encodings.behaviour import find_behavioural
from mips.encodings.choose import EncodingChoice
from mips.machine.extract import FSMResult, extract_fsm
from mips.network.interface import RecurrentNetwork

MAX_FSM_CANDIDATES = 6                  # runner-up encodings tried
BEHAVIOUR_PROBE_LENGTHS = (2, 3, 4)


def conflicts(fsm: FSMResult) -> int:
    """Transitions with two successors plus states with two outputs."""
    return len(fsm.transition_conflicts) + len(fsm.output_conflicts)


def _rank(fsm: FSMResult) -> tuple[int, bool]:
    """Fewer conflicts first; then a machine the data covers before an "unsaturated" one (bounded
    variables, ever more distinct states: every prefix of Div_7 its own point)."""
    return conflicts(fsm), fsm.status == "unsaturated"


def machine_stage(choice: EncodingChoice, network: RecurrentNetwork | None, *, seed: int = 0
                  ) -> tuple[FSMResult, str]:
    """The machine with the fewest conflicts and a one-line account of it."""
    result = best = extract_fsm(choice)
    if any(_rank(best)):
        others = [c for c in choice.candidates if c is not choice.chosen and not c.output_exceptions]
        for enc in others[:MAX_FSM_CANDIDATES]:
            alt = extract_fsm(choice, enc)
            if _rank(alt) < _rank(best):
                best = alt
            if not any(_rank(best)):
                break
        for within in (False, True):
            for length in BEHAVIOUR_PROBE_LENGTHS:
                if not any(_rank(best)) or network is None:
                    break
                found = find_behavioural(choice.data, network, length=length, seed=seed, within_length=within)
                if isinstance(found, Encoding):
                    alt = extract_fsm(choice, found)
                    if _rank(alt) < _rank(best):
                        best = alt
    return best, f"{best.status}: {best.message}{_replaced(result, best)}"


def _replaced(result: FSMResult, best: FSMResult) -> str:
    """Why the chosen encoding's machine was replaced, and by what ("" when it was not)."""
    if best is result:
        return ""
    why = (f"had {conflicts(result)} conflicts" if conflicts(result)
           else "was not covered by the data (unsaturated)")
    return (f" (the chosen encoding's machine {why}; using the {best.encoding.kind} encoding "
            f"({best.encoding.method}), {best.encoding.n_states} states)")
