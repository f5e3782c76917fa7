"""Program stage: the program type (:mod:`mips.program.program`), candidates from the network's
machine and state views (:mod:`mips.program.synthesis`), readable forms (:mod:`mips.program.readable`),
Python source (:mod:`mips.program.codegen`) and verification (:mod:`mips.program.verify`)."""
