"""Message framing of the worker protocol (see PROTOCOL.md, normative).

A message is: a 4-byte little-endian unsigned header length n, n bytes of UTF-8 JSON (an
object), then the raw payloads the header's "payloads" list names, in that order, each
little-endian float32 or int32, C order, exactly "nbytes" long.

Nothing here knows about models or torch: payloads are numpy arrays.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .errors import FrameError

#: Largest header accepted (bytes). A length above this means the stream is out of step.
MAX_HEADER_BYTES = 64 * 1024 * 1024
#: Largest single payload accepted (bytes).
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024 * 1024

DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4")}


@dataclass
class Message:
    """One framed message: a JSON header (without its "payloads" list) and named arrays."""

    header: dict
    payloads: dict[str, np.ndarray] = field(default_factory=dict)


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO) -> Message | None:
    """Reads one message; None at a clean end of stream (EOF before any byte of a frame).

    Raises FrameError when the frame is malformed. FrameError.resynchronised tells whether the
    whole frame was consumed (the stream is still in step, the next frame can be read) and
    FrameError.request_id carries the header's "id" when the header could be parsed.
    """
    raw = _read_exactly(stream, 4)
    if not raw:
        return None
    if len(raw) < 4:
        raise FrameError("end of stream inside a frame's length prefix")
    (n,) = struct.unpack("<I", raw)
    if n == 0 or n > MAX_HEADER_BYTES:
        raise FrameError(f"header length {n} outside 1...{MAX_HEADER_BYTES}")
    text = _read_exactly(stream, n)
    if len(text) < n:
        raise FrameError(f"end of stream inside a {n}-byte header")
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FrameError(f"header is not UTF-8 JSON: {e}") from None
    if not isinstance(header, dict):
        raise FrameError("header is not a JSON object")
    request_id = header.get("id")
    specs = header.pop("payloads", [])
    if not isinstance(specs, list):
        raise FrameError('"payloads" is not a list', request_id=request_id)
    # First check every spec's byte length, so that a bad spec can still be skipped in step.
    lengths, problem, names = [], None, set()
    for i, spec in enumerate(specs):
        nbytes = spec.get("nbytes") if isinstance(spec, dict) else None
        if not isinstance(nbytes, int) or nbytes < 0 or nbytes > MAX_PAYLOAD_BYTES:
            raise FrameError(f"payload {i}: no valid \"nbytes\"", request_id=request_id)
        lengths.append(nbytes)
        if problem is None:
            problem = _spec_problem(i, spec)
        if problem is None and spec["name"] in names:
            problem = f"payload name {spec['name']!r} appears twice"
        names.add(spec.get("name"))
    payloads: dict[str, np.ndarray] = {}
    for spec, nbytes in zip(specs, lengths):
        data = _read_exactly(stream, nbytes)
        if len(data) < nbytes:
            raise FrameError(f"end of stream inside payload {spec.get('name')!r}", request_id=request_id)
        if problem is None:
            array = np.frombuffer(data, dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
            payloads[spec["name"]] = array
    if problem is not None:
        raise FrameError(problem, request_id=request_id, resynchronised=True)
    return Message(header, payloads)


def _spec_problem(i: int, spec: dict) -> str | None:
    name, dtype, shape = spec.get("name"), spec.get("dtype"), spec.get("shape")
    if not isinstance(name, str) or not name:
        return f"payload {i}: no name"
    if dtype not in DTYPES:
        return f"payload {name!r}: dtype {dtype!r} is not float32 or int32"
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        return f"payload {name!r}: shape {shape!r} is not a list of non-negative integers"
    expected = int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype].itemsize
    if expected != spec["nbytes"]:
        return f"payload {name!r}: nbytes {spec['nbytes']} but shape {shape} of {dtype} needs {expected}"
    return None


def encode_message(header: dict, payloads: dict[str, np.ndarray] | None = None) -> bytes:
    """Frames `header` and `payloads` (float32 or int32 arrays, any float/int converted)."""
    specs, blobs = [], []
    for name, array in (payloads or {}).items():
        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype("<f4", copy=False)
        elif array.dtype.kind in "iub":
            array = array.astype("<i4", copy=False)
        else:
            raise TypeError(f"payload {name!r}: dtype {array.dtype} is not a number")
        blob = np.ascontiguousarray(array).tobytes()
        dtype = "float32" if array.dtype.kind == "f" else "int32"
        specs.append({"name": name, "dtype": dtype, "shape": list(array.shape), "nbytes": len(blob)})
        blobs.append(blob)
    full = dict(header)
    full["payloads"] = specs
    text = json.dumps(full, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return struct.pack("<I", len(text)) + text + b"".join(blobs)


def write_message(stream: BinaryIO, header: dict, payloads: dict[str, np.ndarray] | None = None) -> None:
    """Writes one framed message and flushes."""
    stream.write(encode_message(header, payloads))
    stream.flush()
