"""Stage 0 of the pipeline: the 62 benchmark tasks, custom task files and datasets (mips-method.md §2).

Public API::

    TaskSpec, Dataset, BENCHMARK_TASKS, DATA_SEED,
    list_tasks, get_task, make_dataset, search_dataset, load_task_file, resolve_task,
    with_label_cache                    a task file's labels computed once per distinct sequence
"""

from mips.tasks.dataset import DATA_SEED, Dataset, make_dataset, search_dataset
from mips.tasks.label_cache import with_label_cache
from mips.tasks.paper import BENCHMARK_TASKS
from mips.tasks.registry import get_task, list_tasks
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import load_task_file, resolve_task

__all__ = [
    "BENCHMARK_TASKS",
    "DATA_SEED",
    "Dataset",
    "TaskSpec",
    "get_task",
    "list_tasks",
    "load_task_file",
    "make_dataset",
    "resolve_task",
    "search_dataset",
    "with_label_cache",
]
