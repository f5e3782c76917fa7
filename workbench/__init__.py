"""App layer of the workbench: cached wrappers around ``mips`` and figure/table builders."""
