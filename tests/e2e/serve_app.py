"""``streamlit run`` for the browser tests, with the app's analyses run once per test session.

``python -m tests.e2e.serve_app ARGS`` is ``python -m streamlit ARGS`` in a process whose workbench runs
its pipelines through :func:`tests.pipeline_cache.run_pipeline`: an analysis that another server, an
AppTest or a figure test of this session already ran is loaded, not run again.
"""

import sys

from streamlit.web.cli import main

from tests.pipeline_cache import share_with_the_app

if __name__ == "__main__":
    share_with_the_app()
    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(main())
