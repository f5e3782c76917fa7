"""Running work apart from the caller: the benchmark and the zoo build dispatched one process per
task (:mod:`mips.runtime.benchmark`, :mod:`mips.runtime.zoo_dispatch`). The sandbox for untrusted code
is on the ground floor, :mod:`mips.sandbox`."""
