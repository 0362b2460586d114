"""The request loop: reads framed requests, dispatches them, writes one response each.

Exit status of `serve`: 0 after `shutdown` or a clean end of input, 2 after a frame that
leaves the stream out of step (the worker first answers it with a "frame" error).
"""

from __future__ import annotations

import platform
import sys
import traceback
from typing import BinaryIO

from . import PROTOCOL_VERSION
from .errors import FrameError, WorkerError
from .protocol import Message, encode_message, read_message, write_message


def _versions() -> dict:
    import numpy
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "numpy": numpy.__version__,
            "cuda_available": torch.cuda.is_available(),
            "cuda_devices": torch.cuda.device_count() if torch.cuda.is_available() else 0}


class Worker:
    """Holds at most one loaded model and answers requests about it."""

    def __init__(self):
        self.loaded = None

    def handle(self, message: Message) -> tuple[dict, dict]:
        """(response fields, payloads) for one request; raises WorkerError."""
        from . import ops
        from .loading import load_model

        op = message.header.get("op")
        if not isinstance(op, str):
            raise WorkerError("bad_request", 'no "op" string')
        if op == "load":
            self.loaded = None  # free the old model first
            self.loaded = load_model(message.header)
            return {"config": self.loaded.facts}, {}
        if op == "info":
            return {"protocol": PROTOCOL_VERSION, "versions": _versions(),
                    "config": self.loaded.facts if self.loaded else None}, {}
        handlers = {"forward": ops.forward, "generate": ops.generate,
                    "last_token_loss_grad": ops.last_token_loss_grad, "project_heads": ops.project_heads}
        if op not in handlers:
            raise WorkerError("unknown_op", f"unknown op {op!r} (known: load, info, shutdown, {', '.join(handlers)})")
        if self.loaded is None:
            raise WorkerError("not_loaded", f"{op} needs a model: send load first")
        return handlers[op](message.header, message.payloads, self.loaded)


def _error(request_id, op, error: WorkerError) -> dict:
    what = f"request {request_id!r}" + (f" ({op})" if isinstance(op, str) else "")
    return {"id": request_id, "ok": False, "error": {"kind": error.kind, "message": f"{what}: {error.message}"}}


def serve(inp: BinaryIO, out: BinaryIO, log=sys.stderr) -> int:
    """Answers requests from `inp` on `out` until shutdown or end of input."""
    import torch
    from transformers.utils import logging as transformers_logging

    torch.manual_seed(0)
    transformers_logging.disable_progress_bar()
    worker = Worker()
    write_message(out, {"id": None, "ok": True, "event": "ready", "protocol": PROTOCOL_VERSION,
                        "versions": _versions()})
    while True:
        try:
            message = read_message(inp)
        except FrameError as e:
            write_message(out, _error(e.request_id, None, e))
            if e.resynchronised:
                continue
            print(f"torch_worker: {e.message}; exiting", file=log)
            return 2
        if message is None:
            return 0
        request_id, op = message.header.get("id"), message.header.get("op")
        if op == "shutdown":
            write_message(out, {"id": request_id, "ok": True})
            return 0
        try:
            fields, payloads = worker.handle(message)
            response = {"id": request_id, "ok": True}
            response.update(fields)
        except WorkerError as e:
            response, payloads = _error(request_id, op, e), {}
        except Exception as e:  # a bug or a torch error: report it, keep serving
            traceback.print_exc(file=log)
            response, payloads = _error(request_id, op, WorkerError("internal", f"{type(e).__name__}: {e}")), {}
        try:
            data = encode_message(response, payloads)
        except (TypeError, ValueError) as e:  # a result JSON cannot carry (a bug): say so
            traceback.print_exc(file=log)
            data = encode_message(_error(request_id, op, WorkerError("internal", f"response not encodable: {e}")))
        out.write(data)
        out.flush()
