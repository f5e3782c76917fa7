"""Labels of a slow task computed once per distinct sequence and reused (issue 12).

A task file's ``target`` runs in a sandboxed child per batch of sequences (``mips.sandbox``) and
may be slow: a regular expression applied to every prefix, as a person would write it, costs
milliseconds per sequence. :func:`with_label_cache` wraps a task's ``compute_outputs`` so that

* each call labels only its *distinct* sequences (a million sequences drawn from a T = 10 binary
  task hold at most 1,024 distinct ones) and scatters the labels back;
* labels already computed are reused by every later call (the dataset, the check on every
  possible sequence, the longer sequences, a re-verification after an edit), up to
  :data:`MAX_CACHED_NUMBERS` numbers (a call bringing more than half of that, a large dataset
  drawn from a large input space and labelled only once, is not kept);
* new labels are computed in chunks that grow from a small first one (at most :data:`GROWTH`
  times per round) until each takes about :data:`CHUNK_SECONDS`, so that progress can be reported
  (:func:`label_progress`), no single sandboxed child comes near its limits, and a fast target
  pays few child starts; :data:`LABEL_WORKERS` chunks at a time; a chunk that still exceeds a limit raises
  the sandbox's error, which the caller reports (the pipeline skips that check and keeps the
  program).

The sandbox itself is not changed: each chunk is one ordinary call of the wrapped labeller.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import dataclasses
import os
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from mips.tasks.spec import TaskSpec

MAX_CACHED_NUMBERS = 8_000_000     # inputs + outputs kept in the cache (about 64 MB of payload)
CHUNK_SECONDS = 4.0                # aim of each chunk's duration once the speed is known
FIRST_CHUNK_STEPS = 2_000          # steps (sequences x length) of the first, measuring chunk
MAX_CHUNK_STEPS = 2_000_000        # never more per chunk (the task-file labeller's own batch)
LABEL_WORKERS = 2                  # chunks labelled at the same time (at most the machine's cores)
GROWTH = 8.0                       # a round's chunks are at most this many times the last round's

ProgressFn = Callable[[dict], None]
_progress: contextvars.ContextVar[ProgressFn | None] = contextvars.ContextVar("mips_label_progress",
                                                                            default=None)


@contextlib.contextmanager
def label_progress(callback: ProgressFn | None) -> Iterator[None]:
    """Send label progress to ``callback`` inside the block (this thread / context only).

    ``callback`` receives ``{"event": "labels", "task", "done", "total", "seq_len", "seconds",
    "cached"}``: ``done`` of ``total`` distinct sequences labelled so far in this call, ``cached``
    of them found in the cache.
    """
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def _row_keys(x: np.ndarray, low: int, base: int) -> np.ndarray:
    """One sortable key per row of ``x`` (n, T, d).

    A row of values in ``[low, low + base)`` is packed into one int64 (mixed radix) when that
    fits, else its bytes are the key (a numpy void scalar); keys are compared only between rows
    of the same length, and the two kinds never meet (the caller keeps them apart by kind).
    """
    flat = np.ascontiguousarray(x.reshape(x.shape[0], -1))
    if flat.size and int(flat.min()) >= low and int(flat.max()) < low + base \
            and base ** flat.shape[1] < 2 ** 62:
        return (flat - low) @ (base ** np.arange(flat.shape[1], dtype=np.int64))
    return flat.view(np.dtype((np.void, flat.dtype.itemsize * max(1, flat.shape[1])))).reshape(-1)


@dataclasses.dataclass(eq=False)
class _Store:
    """Labels of one sequence length and key kind: sorted keys and the labels in the same order."""

    keys: np.ndarray
    labels: np.ndarray

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``keys`` in the store and whether each is there."""
        if self.keys.size == 0:
            return np.zeros(keys.shape, dtype=np.int64), np.zeros(keys.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return pos, self.keys[pos] == keys

    def add(self, keys: np.ndarray, labels: np.ndarray) -> None:
        merged = np.concatenate([self.keys, keys])
        order = np.argsort(merged, kind="stable")
        self.keys = merged[order]
        self.labels = np.concatenate([self.labels, labels])[order]


@dataclasses.dataclass(eq=False)
class CachedLabels:
    """``compute_outputs`` of a task, computing each distinct sequence's labels once (thread-safe)."""

    compute: Callable[[np.ndarray], np.ndarray]
    task: str
    output_dim: int
    low: int = 0                   # smallest input value and number of values: the packing radix
    base: int = 2 ** 62
    max_cached_numbers: int = MAX_CACHED_NUMBERS
    labelled: int = 0              # distinct sequences sent to ``compute`` so far (tests, reports)
    _stores: dict = dataclasses.field(default_factory=dict, repr=False)
    _numbers: int = 0
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        n, t_len = x.shape[0], x.shape[1]
        if n == 0:
            return np.zeros((0, t_len, self.output_dim), dtype=np.int64)
        keys = _row_keys(x, self.low, self.base)
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        out = np.empty((uniq.size, t_len, self.output_dim), dtype=np.int64)
        slot = (t_len, keys.dtype.kind)
        with self._lock:
            store = self._stores.get(slot)
            if store is not None:
                pos, hit = store.find(uniq)
                out[hit] = store.labels[pos[hit]]
            else:
                hit = np.zeros(uniq.shape, dtype=bool)
        todo = np.flatnonzero(~hit)
        report = _progress.get()
        start = time.perf_counter()
        total, cached = int(uniq.size), int(hit.sum())

        def tell(done: int) -> None:
            if report is not None:
                report({"event": "labels", "task": self.task, "done": cached + done, "total": total,
                        "seq_len": t_len, "seconds": time.perf_counter() - start, "cached": cached})

        if todo.size:
            tell(0)
        # chunks grow from a small first one until each takes about CHUNK_SECONDS: a round of up to
        # LABEL_WORKERS chunks at a time (each its own sandboxed child), then the next round's chunks are
        # CHUNK_SECONDS / (the round's seconds) times larger, at most GROWTH times. A round's time
        # includes starting its children, so the estimate errs small and a slow target never gets a
        # chunk much longer than CHUNK_SECONDS; a fast one reaches MAX_CHUNK_STEPS in a few rounds
        # instead of paying a child's start for every few thousand sequences.
        size = max(1, FIRST_CHUNK_STEPS // max(1, t_len))
        largest = max(1, MAX_CHUNK_STEPS // max(1, t_len))
        workers = max(1, min(LABEL_WORKERS, os.cpu_count() or 1))
        done, first_round = 0, True
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            while done < todo.size:
                n_chunks = 1 if first_round else workers
                chunks = [todo[done + i * size:done + (i + 1) * size] for i in range(n_chunks)]
                chunks = [c for c in chunks if c.size]
                t0 = time.perf_counter()
                futures = [pool.submit(self._label, x, first, rows, out) for rows in chunks]
                try:
                    for fut in concurrent.futures.as_completed(futures):
                        done += fut.result()
                        tell(done)
                except BaseException:
                    for fut in futures:
                        fut.cancel()
                    raise
                seconds = max(time.perf_counter() - t0, 1e-3)
                size = int(min(largest, max(1, size * min(GROWTH, max(1 / GROWTH, CHUNK_SECONDS / seconds)))))
                first_round = False
        if todo.size:
            self._keep(slot, uniq[todo], out[todo])
        return out[inverse.reshape(-1)]

    def _label(self, x: np.ndarray, first: np.ndarray, rows: np.ndarray, out: np.ndarray) -> int:
        """Label the distinct sequences ``rows`` (indices into ``first``) into ``out``; return how many."""
        if rows.size == 0:
            return 0
        out[rows] = np.asarray(self.compute(x[first[rows]]), dtype=np.int64)
        with self._lock:
            self.labelled += int(rows.size)
        return int(rows.size)

    def _keep(self, slot: tuple, keys: np.ndarray, labels: np.ndarray) -> None:
        """Cache new labels while the cache holds fewer than ``max_cached_numbers`` numbers.

        A call bringing more than half of that is not cached at all: such a call is a large
        dataset drawn from a large input space, labelled once, and would crowd out the check
        sets that every verification reuses.
        """
        per_row = labels.shape[1] * (labels.shape[2] + 1)
        if keys.size * per_row > self.max_cached_numbers // 2:
            return
        with self._lock:
            room = max(0, (self.max_cached_numbers - self._numbers) // max(1, per_row))
            if room == 0:
                return
            keys, labels = keys[:room], labels[:room]
            store = self._stores.get(slot)
            if store is None:
                self._stores[slot] = store = _Store(keys=keys[:0], labels=labels[:0])
            pos, hit = store.find(keys)            # another thread may have added some meanwhile
            keys, labels = keys[~hit], labels[~hit]
            store.add(keys, labels)
            self._numbers += int(keys.size) * per_row


def with_label_cache(task: TaskSpec) -> TaskSpec:
    """``task`` with :class:`CachedLabels` around its ``compute_outputs`` (idempotent).

    Built-in tasks are vectorised numpy and need no cache; they are returned unchanged.
    """
    if task.source == "builtin" or isinstance(task.compute_outputs, CachedLabels):
        return task
    low, high = task.input_values[0], task.input_values[-1]
    labels = CachedLabels(task.compute_outputs, task.name, task.output_dim, low=low, base=high - low + 1)
    return dataclasses.replace(task, compute_outputs=labels)
