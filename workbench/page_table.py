"""The workbench's pages, once (pure: no streamlit).

The entry point builds its navigation from :data:`PAGES`, the Home page its tour, the pages their
headings, the benchmark table its links and the tests their page lists. A new page is one file in
``pages/`` plus one row here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class PageInfo:
    """One page of the workbench.

    Attributes
    ----------
    name : str
        The file ``pages/<name>.py`` and the page's URL path (``/<name>``; the default page is also ``/``).
    title : str
        Its entry in the navigation.
    heading : str
        The page's own title (its ``<h1>``).
    icon : str
        Material icon of the navigation entry.
    tour : str
        What the page shows, one line on the Home page's "How MIPS works" ("" when it is not a step).
    default : bool
        The page opened at ``/``.
    """

    name: str
    title: str
    heading: str
    icon: str
    tour: str = ""
    default: bool = False

    @property
    def path(self) -> str:
        """The page's file, relative to the checkout (what ``st.Page`` and ``st.page_link`` take)."""
        return f"pages/{self.name}.py"

    @property
    def url_path(self) -> str:
        return self.name


PAGES: tuple[PageInfo, ...] = (
    PageInfo(name="home", title="Home / Task", heading="MIPS workbench", icon=":material/home:", default=True),
    PageInfo(name="train", title="Train", heading="Train", icon=":material/model_training:",
             tour="train or search a small network that is 100% right on the task (optional: the zoo already has "
                  "one for most tasks)."),
    PageInfo(name="hidden_states", title="Hidden states", heading="Hidden states", icon=":material/scatter_plot:",
             tour="look at every hidden state of the network: they form clusters or a grid."),
    PageInfo(name="normalizers", title="Normalizers", heading="Normalizers", icon=":material/tune:",
             tour="simplify the weights (whitening, Jordan form, Toeplitz, de-biasing, quantization); a "
                  "step is kept only if the network stays right on every test output."),
    PageInfo(name="lattice", title="Lattice", heading="Lattice", icon=":material/grid_on:",
             tour="find integer coordinates for the hidden states (a lattice, bits, a cycle) by minimum description "
                  "length."),
    PageInfo(name="state_machine", title="State machine", heading="State machine", icon=":material/account_tree:",
             tour="read the finite-state machine the network runs, minimised."),
    PageInfo(name="program", title="Program", heading="Program", icon=":material/code:",
             tour="regress the machine into a Python program, verify it, edit it, download it."),
    PageInfo(name="benchmark", title="Benchmark", heading="Benchmark", icon=":material/leaderboard:",
             tour="how many of the 62 tasks are solved, next to the paper's MIPS and GPT-4."),
)

#: The analysis pages: each shows one stage of the pipeline run on the current task's network.
ANALYSIS_PAGES: tuple[str, ...] = ("hidden_states", "normalizers", "lattice", "state_machine")


def page(name: str) -> PageInfo:
    """The page called ``name`` (its file's stem)."""
    for p in PAGES:
        if p.name == name:
            return p
    raise KeyError(f"There is no workbench page {name!r}; the pages are {', '.join(p.name for p in PAGES)}.")


def heading(name: str) -> str:
    """The title the page ``name`` shows."""
    return page(name).heading


def tour() -> list[tuple[PageInfo, str]]:
    """The steps of the Home page's tour: each page with a tour line and its numbered label ("1. Train")."""
    steps = [p for p in PAGES if p.tour]
    return [(p, f"{i + 1}. {p.title}") for i, p in enumerate(steps)]
