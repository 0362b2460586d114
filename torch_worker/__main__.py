"""`python -m torch_worker`: serve the protocol on stdin/stdout.

Stdout carries frames only: file descriptor 1 is moved to a private descriptor before anything
else is imported, and fd 1 then points at stderr, so a library's print cannot corrupt a frame.
The Hugging Face hub is never contacted (HF_HUB_OFFLINE=1 unless the environment says otherwise).
"""

import os
import sys


def main() -> int:
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    # transformers' GGUF conversion draws a tqdm bar of its own on stderr, which bench forwards.
    os.environ.setdefault("TQDM_DISABLE", "1")
    from .server import serve

    with os.fdopen(0, "rb", buffering=0, closefd=False) as inp, os.fdopen(protocol_fd, "wb") as out:
        return serve(inp, out)


if __name__ == "__main__":
    sys.exit(main())
