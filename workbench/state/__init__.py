"""What the workbench keeps per browser tab, behind typed accessors (one module per concern).

- :mod:`~workbench.state.keys`: every ``st.session_state`` key (no other module spells them);
- :mod:`~workbench.state.task`: the chosen task, a benchmark task or an uploaded task file;
- :mod:`~workbench.state.uploads`: content hashes and the uploads already handled;
- :mod:`~workbench.state.models`: the network of each task (the zoo's, or uploaded or trained here);
- :mod:`~workbench.state.training`: the Train page's last run;
- :mod:`~workbench.state.workspace`: the Program page's editor and accepted program;
- :mod:`~workbench.state.results`: pipeline results, shared by every session;
- :mod:`~workbench.state.lru`: the one thread-safe LRU store behind the shared caches.

The accessors return data; the pages and the view modules draw (:mod:`workbench.analysis_view`).
Pages import this package and call the names below; ``tests/app/test_pages_use_accessors.py``
checks that no page touches ``st.session_state`` or the keys itself. The state never writes the
URL: the entry point does, once per run (:mod:`workbench.url_state`).
"""

from workbench.state.keys import TASK_SELECTBOX
from workbench.state.models import (ModelChoice, PendingCheckpoint, checkpoint_bytes, confirm_pending_checkpoint,
                                    current_model, discard_pending_checkpoint, forget_override, pending_checkpoint,
                                    remember_upload_error, upload_error, upload_tag, use_pending_for_its_task,
                                    use_trained_model, use_uploaded_checkpoint, use_uploaded_network, zoo_manifest)
from workbench.state.results import compute_result, stored_result
from workbench.state.task import (TaskContext, TaskFile, active_task_file, chosen_task_name, current_task,
                                  finish_task_file, set_builtin_task, set_task_file, start_task_file, task_chosen,
                                  task_dataset, task_file_job, task_load_outcome, task_upload_tag)
from workbench.state.training import cancel_training, start_training_record, training_record
from workbench.state.uploads import first_sight, forget_uploads
from workbench.state.workspace import ProgramWorkspace, program_workspace

__all__ = [
    "TASK_SELECTBOX", "ModelChoice", "PendingCheckpoint", "ProgramWorkspace", "TaskContext", "TaskFile",
    "active_task_file", "cancel_training", "checkpoint_bytes", "chosen_task_name", "compute_result",
    "confirm_pending_checkpoint", "current_model", "current_task", "discard_pending_checkpoint", "finish_task_file",
    "first_sight", "forget_override", "forget_uploads", "pending_checkpoint", "program_workspace",
    "remember_upload_error", "set_builtin_task", "set_task_file", "start_task_file", "start_training_record",
    "stored_result", "task_chosen", "task_dataset", "task_file_job", "task_load_outcome", "task_upload_tag",
    "training_record", "upload_error", "upload_tag", "use_pending_for_its_task", "use_trained_model",
    "use_uploaded_checkpoint", "use_uploaded_network", "zoo_manifest",
]
