"""Running work apart from the caller: the sandbox for untrusted code (:mod:`mips.runtime.sandbox`),
the benchmark and the zoo build dispatched one process per task (:mod:`mips.runtime.benchmark`,
:mod:`mips.runtime.zoo_dispatch`)."""
