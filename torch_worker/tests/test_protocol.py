"""Framing round trips and the server's answers to malformed or wrong requests (no model)."""

import io
import json
import struct

import numpy as np
import pytest

from torch_worker.protocol import encode_message, read_message
from torch_worker.errors import FrameError
from torch_worker.server import serve


def frame(header: dict, blobs: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<I", len(text)) + text + blobs


def responses(data: bytes):
    """Runs the server over `data`; returns (exit status, responses after the ready message)."""
    out = io.BytesIO()
    status = serve(io.BytesIO(data), out, log=io.StringIO())
    out.seek(0)
    messages = []
    while (m := read_message(out)) is not None:
        messages.append(m)
    assert messages[0].header["event"] == "ready"
    return status, messages[1:]


def test_round_trip_keeps_header_dtypes_shapes_and_bytes():
    rng = np.random.default_rng(0)
    payloads = {"a": rng.standard_normal((3, 5)).astype(np.float32), "ids": np.arange(7, dtype=np.int32),
                "empty": np.zeros((0, 4), np.float32), "scalar": np.float32(2.5).reshape(())}
    data = encode_message({"id": 7, "op": "x", "nested": {"k": [1, 2]}}, payloads)
    (n,) = struct.unpack("<I", data[:4])
    header = json.loads(data[4:4 + n])
    assert [p["name"] for p in header["payloads"]] == ["a", "ids", "empty", "scalar"]
    assert header["payloads"][0] == {"name": "a", "dtype": "float32", "shape": [3, 5], "nbytes": 60}
    assert len(data) == 4 + n + 60 + 28 + 0 + 4
    m = read_message(io.BytesIO(data))
    assert m.header == {"id": 7, "op": "x", "nested": {"k": [1, 2]}}
    for k, v in payloads.items():
        assert m.payloads[k].dtype == v.dtype and np.array_equal(m.payloads[k], v)


def test_float64_and_int64_are_sent_as_float32_and_int32():
    m = read_message(io.BytesIO(encode_message({"id": 1}, {"f": np.ones(2), "i": np.arange(2)})))
    assert m.payloads["f"].dtype == np.dtype("<f4") and m.payloads["i"].dtype == np.dtype("<i4")


def test_clean_end_of_stream_is_none_and_truncation_is_a_frame_error():
    assert read_message(io.BytesIO(b"")) is None
    data = encode_message({"id": 1}, {"a": np.ones(4, np.float32)})
    with pytest.raises(FrameError):
        read_message(io.BytesIO(data[:-3]))
    with pytest.raises(FrameError):
        read_message(io.BytesIO(data[:2]))


def test_unknown_op_and_missing_model_name_the_request_and_keep_serving():
    data = frame({"id": 5, "op": "frobnicate"}) + frame({"id": 6, "op": "forward"}) + frame({"id": 9, "op": "shutdown"})
    status, rs = responses(data)
    assert status == 0
    assert rs[0].header["id"] == 5 and rs[0].header["ok"] is False
    assert rs[0].header["error"]["kind"] == "unknown_op" and "request 5" in rs[0].header["error"]["message"]
    assert rs[1].header["error"]["kind"] == "not_loaded" and "request 6 (forward)" in rs[1].header["error"]["message"]
    assert rs[2].header == {"id": 9, "ok": True}


def test_bad_payload_spec_is_skipped_in_step_and_named():
    bad = {"id": "r1", "op": "forward", "payloads": [{"name": "ids", "dtype": "float64", "shape": [2], "nbytes": 16}]}
    shape = {"id": "r2", "op": "forward", "payloads": [{"name": "ids", "dtype": "int32", "shape": [3], "nbytes": 8}]}
    data = frame(bad, b"\0" * 16) + frame(shape, b"\0" * 8) + frame({"id": "r3", "op": "info"})
    status, rs = responses(data)
    assert status == 0
    assert rs[0].header["id"] == "r1" and rs[0].header["error"]["kind"] == "frame"
    assert "float64" in rs[0].header["error"]["message"] and "request 'r1'" in rs[0].header["error"]["message"]
    assert rs[1].header["id"] == "r2" and "needs 12" in rs[1].header["error"]["message"]
    assert rs[2].header["id"] == "r3" and rs[2].header["ok"] is True and rs[2].header["protocol"] == 1


def test_garbage_header_answers_then_exits_2():
    data = struct.pack("<I", 5) + b"{nope" + frame({"id": 1, "op": "info"})
    status, rs = responses(data)
    assert status == 2 and len(rs) == 1
    assert rs[0].header["id"] is None and rs[0].header["error"]["kind"] == "frame"


def test_absurd_header_length_exits_2():
    status, rs = responses(struct.pack("<I", 0xFFFFFFFF) + b"x" * 10)
    assert status == 2 and rs[0].header["error"]["kind"] == "frame"


def test_end_of_input_without_shutdown_exits_0():
    status, rs = responses(frame({"id": 1, "op": "info"}))
    assert status == 0 and rs[0].header["ok"]


def test_repeated_payload_name_is_a_frame_error_in_step():
    specs = [{"name": "a", "dtype": "int32", "shape": [1], "nbytes": 4}] * 2
    status, rs = responses(frame({"id": 3, "op": "forward", "payloads": specs}, b"\0" * 8) + frame({"id": 4, "op": "info"}))
    assert status == 0 and "twice" in rs[0].header["error"]["message"] and rs[1].header["ok"]
