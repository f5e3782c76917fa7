"""One Dask client for the commands that dispatch a task per process (bench, zoo build)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from mips.runtime.worker_reply import SERIALIZERS


@contextlib.contextmanager
def dask_client(scheduler: str | None, n_workers: int | None, n_tasks: int) -> Iterator:
    """A client of the scheduler at ``scheduler``, or of a ``LocalCluster`` of ``n_workers``
    one-thread processes (default: the machine's cores, at most ``n_tasks``); closed on exit.

    The client's connection serializes and deserializes msgpack only
    (:data:`mips.runtime.worker_reply.SERIALIZERS`): workers reply with bytes, and a reply pickled by a
    hostile worker is refused by Dask instead of being unpickled here. A ``tls://`` scheduler address
    takes its certificates from Dask's configuration (README, "Running on a cluster").
    """
    from distributed import Client, LocalCluster   # deferred: Dask takes seconds to import

    cluster = None
    wire = {"serializers": SERIALIZERS, "deserializers": SERIALIZERS}
    if scheduler:
        client = Client(scheduler, timeout="20s", **wire)
    else:
        workers = n_workers or max(1, os.cpu_count() or 1)
        cluster = LocalCluster(n_workers=max(1, min(workers, n_tasks)), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster, **wire)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
