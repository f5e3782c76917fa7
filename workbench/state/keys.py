"""Every key the workbench keeps in ``st.session_state`` (the modules of :mod:`workbench.state` own them).

A key names what one browser tab keeps between reruns and page changes. The pages never use these
names: they call the accessors of :mod:`workbench.state` (``tests/app/test_pages_use_accessors.py``).
"""

# -- the task (workbench.state.task) ----------------------------------------------------------
K_TASK = "mips_task"                # benchmark task name chosen on the Home page
K_TASK_SOURCE = "mips_task_source"  # "builtin" or "file"
K_TASK_FILE = "mips_task_file"      # the TaskFile uploaded in this session
K_TASK_LOAD = "mips_task_load"      # the TaskFileLoad of an upload being checked (background thread)
K_TASK_LOAD_OUTCOME = "mips_task_load_outcome"  # the TaskLoadOutcome of the last finished check
K_SEEN_UPLOADS = "mips_seen_uploads"  # upload tags already handled (the uploader keeps its file)
#: The Home page's task selectbox (a widget key: switching to a checkpoint's own task moves it too).
TASK_SELECTBOX = "task_name"

# -- the networks (workbench.state.models) ------------------------------------------------------
K_MODELS = "mips_models"            # task key -> {"source", "label", "bytes", "sha", "note", "description"}
K_PENDING_CHECKPOINT = "mips_pending_checkpoint"  # a PendingCheckpoint trained for another task
K_CHECKPOINT_MESSAGE = "mips_checkpoint_message"  # (upload tag, error or None) of the last checkpoint upload
K_TRAIN_HISTORY = "mips_train_history"  # the TrainingRecord of the Train page's last run

# -- the Program page's editor (workbench.state.workspace) -------------------------------------
K_PROGRAM_OWNER = "mips_program_owner"  # the ProgramWorkspace.owner the editor's text belongs to
K_PROGRAM_TEXT = "mips_program_text"    # the editor's text (the code editor component writes it)
K_PROGRAM_CHECK = "mips_program_check"  # {owner: EditCheck} of the last "Verify edited program"
K_PROGRAM_ACCEPTED = "mips_program_accepted"  # owner -> accepted record (workbench.program_accept)

# -- the view in the URL (workbench.url_state, workbench.presentation) -------------------------
K_URL_WRITTEN = "mips_url_written"  # the query parameters this session wrote or adopted last
K_URL_NOTICE = "mips_url_notice"    # a message about a link that could not be followed (shown once)
K_PRESENT = "mips_present"          # the presentation-mode toggle (a widget key)
