"""MIPS workbench core: turn a trained RNN into a verified Python program.

Headless; never imports streamlit. See ``README.md`` and ``mips-method.md``.
"""

__version__ = "0.1.0"
