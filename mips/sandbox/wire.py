"""The child's reply on the wire: JSON for structure, raw bytes for numpy arrays, never pickle.

A reply is ``MAGIC``, an 8-byte big-endian header length, a JSON header, then the arrays' bytes.
The header is ``{"value": TREE, "arrays": [{"dtype", "shape", "offset", "nbytes"}, ...]}`` where
every JSON object in ``TREE`` is a tag, so nothing is ambiguous:

* JSON numbers, strings, booleans, null and arrays (lists) stand for themselves;
* ``{"t": [...]}`` is a tuple, ``{"d": [[key, value], ...]}`` a dict, ``{"a": k}`` the k-th array.

:func:`decode` runs in the parent on bytes the child chose. It checks the size before reading,
refuses nesting deeper than ``MAX_DEPTH``, accepts only plain numeric dtypes, checks that every
array's shape matches its byte count before allocating it, and copies arrays out of the buffer.
Its work is linear in the (capped) reply size: no recursion past ``MAX_DEPTH``, no imports, no
code named by the reply.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

MAGIC = b"MIPS-REPLY-1\n"
MAX_DEPTH = 64
MAX_HEADER_BYTES = 16 << 20
DTYPES = frozenset({"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f4", "<f8"})


class WireError(ValueError):
    """A value the child cannot send, or a reply the parent refuses to read."""


def encode(value: Any) -> bytes:
    """Encode plain data (None, bool, int, float, str, list, tuple, dict, numpy arrays and scalars)."""
    arrays: list[bytes] = []
    meta: list[dict] = []

    def tree(v: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            return float(v)
        if isinstance(v, np.generic) and v.dtype.str in DTYPES:
            return v.item()
        if isinstance(v, np.ndarray):
            a = np.ascontiguousarray(v)
            if a.dtype.str not in DTYPES:
                raise WireError(f"arrays of dtype {a.dtype} cannot be sent back (numbers and booleans only)")
            data = a.tobytes()
            meta.append({"dtype": a.dtype.str, "shape": list(a.shape),
                         "offset": sum(len(b) for b in arrays), "nbytes": len(data)})
            arrays.append(data)
            return {"a": len(meta) - 1}
        if isinstance(v, list):
            return [tree(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"t": [tree(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            return {"d": [[tree(k, depth + 1), tree(x, depth + 1)] for k, x in v.items()]}
        raise WireError(f"a {type(v).__name__} cannot be sent back (plain data and numpy arrays only)")

    header = json.dumps({"value": tree(value, 0), "arrays": meta}, separators=(",", ":")).encode()
    return MAGIC + struct.pack(">Q", len(header)) + header + b"".join(arrays)


def decode(data: bytes, max_bytes: int) -> Any:
    """Decode a reply of at most ``max_bytes`` bytes; raise ``WireError`` for anything else."""
    if len(data) > max_bytes:
        raise WireError(f"the reply has {len(data):,} bytes, more than the {max_bytes:,} allowed")
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        raise WireError("the reply is not in the sandbox's reply format")
    start = len(MAGIC) + 8
    (n,) = struct.unpack(">Q", data[len(MAGIC):start])
    if n > MAX_HEADER_BYTES or start + n > len(data):
        raise WireError("the reply's header length is out of range")
    try:
        header = json.loads(data[start:start + n])
    except (ValueError, RecursionError) as exc:
        raise WireError(f"the reply's header is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict) or set(header) != {"value", "arrays"} or not isinstance(header["arrays"], list):
        raise WireError("the reply's header is malformed")
    arrays = [_array(m, data, start + n) for m in header["arrays"]]
    return _value(header["value"], arrays, 0)


def _array(meta: Any, data: bytes, base: int) -> np.ndarray:
    if not (isinstance(meta, dict) and set(meta) == {"dtype", "shape", "offset", "nbytes"}
            and meta["dtype"] in DTYPES and isinstance(meta["shape"], list) and len(meta["shape"]) <= 32
            and all(type(s) is int and s >= 0 for s in meta["shape"])
            and all(type(meta[k]) is int and meta[k] >= 0 for k in ("offset", "nbytes"))):
        raise WireError("an array in the reply is described wrongly")
    dtype = np.dtype(meta["dtype"])
    count = math.prod(meta["shape"])
    if count * dtype.itemsize != meta["nbytes"] or base + meta["offset"] + meta["nbytes"] > len(data):
        raise WireError("an array in the reply does not match its byte count")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=base + meta["offset"])
    return flat.reshape(meta["shape"]).copy()


def _value(v: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"the reply is nested more than {MAX_DEPTH} levels deep")
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, list):
        return [_value(x, arrays, depth + 1) for x in v]
    if isinstance(v, dict) and len(v) == 1:
        (tag, body), = v.items()
        if tag == "t" and isinstance(body, list):
            return tuple(_value(x, arrays, depth + 1) for x in body)
        if tag == "d" and isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body):
            out = {}
            for k, x in body:
                key = _value(k, arrays, depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple)) or key is None:
                    raise WireError("a dict key in the reply is not a plain value")
                out[key] = _value(x, arrays, depth + 1)
            return out
        if tag == "a" and type(body) is int and 0 <= body < len(arrays):
            return arrays[body]
    raise WireError("the reply holds a value that is not plain data")
