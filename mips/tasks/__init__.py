"""Stage 0 of the pipeline: the 62 benchmark tasks, custom task files and datasets (mips-method.md §2).

Public API::

    TaskSpec, Dataset, BENCHMARK_TASKS,
    list_tasks, get_task, make_dataset, load_task_file, resolve_task
"""

from mips.tasks.dataset import Dataset, make_dataset
from mips.tasks.paper import BENCHMARK_TASKS
from mips.tasks.registry import get_task, list_tasks
from mips.tasks.spec import TaskSpec
from mips.tasks.taskfile import load_task_file, resolve_task

__all__ = [
    "BENCHMARK_TASKS",
    "Dataset",
    "TaskSpec",
    "get_task",
    "list_tasks",
    "load_task_file",
    "make_dataset",
    "resolve_task",
]
