"""Typed errors. Every error the worker reports is a WorkerError with a `kind` from KINDS."""

from __future__ import annotations

#: Error kinds a response may carry (PROTOCOL.md lists what each means).
KINDS = (
    "frame",          # malformed frame
    "bad_request",    # a field is missing, has the wrong type, or a value is out of range
    "unknown_op",     # "op" names no operation
    "shape",          # a payload has the wrong shape or dtype for its role
    "not_loaded",     # an op needs a model and none is loaded
    "model_not_found",  # the model path / cache entry / GGUF file does not exist
    "load_failed",    # transformers (or bitsandbytes, accelerate) could not load the model
    "unsupported",    # a model_type or option this worker does not support
    "internal",       # anything else (a bug, or an exception from torch)
)


class WorkerError(Exception):
    """An error reported to the client as {"kind": ..., "message": ...}."""

    def __init__(self, kind: str, message: str):
        assert kind in KINDS, kind
        super().__init__(message)
        self.kind = kind
        self.message = message


class FrameError(WorkerError):
    """A malformed frame. `resynchronised` is True when the frame's bytes were all consumed, so
    the stream is still in step; `request_id` is the header's id when it could be read."""

    def __init__(self, message: str, request_id=None, resynchronised: bool = False):
        super().__init__("frame", message)
        self.request_id = request_id
        self.resynchronised = resynchronised
