"""End to end: `python -m torch_worker` as a child process, driven over pipes."""

import json
import os
import struct
import subprocess
import sys

import numpy as np

from torch_worker.protocol import encode_message, read_message

from .conftest import REPO, golden, tiny_dir


def start(**extra_env):
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra_env)
    return subprocess.Popen([sys.executable, "-m", "torch_worker"], cwd=REPO, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ask(p, header, payloads=None):
    p.stdin.write(encode_message(header, payloads))
    p.stdin.flush()
    return read_message(p.stdout)


def test_worker_serves_a_session_over_pipes():
    seqs = [s["token_ids"] for s in golden("llama")["sequences"]]
    gold = np.array(golden("llama")["sequences"][1]["logits"], np.float32)
    ids = {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}
    p = start()
    try:
        ready = read_message(p.stdout)
        assert ready.header["event"] == "ready" and ready.header["protocol"] == 1
        r = ask(p, {"id": 1, "op": "load", "model": str(tiny_dir("llama")), "device": "cpu", "dtype": "float32"})
        assert r.header["ok"], r.header
        assert {k: r.header["config"][k] for k in ("layers", "heads", "kv_heads", "head_dim", "hidden", "vocab", "model_type")} == \
            {"layers": 3, "heads": 4, "kv_heads": 2, "head_dim": 16, "hidden": 64, "vocab": 384, "model_type": "llama"}
        r = ask(p, {"id": 2, "op": "forward", "logits": "all",
                    "interventions": [{"site": "attention-heads", "layer": 1, "action": "capture"}]}, ids)
        assert r.header["ok"] and r.header["id"] == 2
        assert np.abs(r.payloads["logits"][20:] - gold).max() < 1e-4
        assert r.payloads["capture.0"].shape == (2, 64)
        r = ask(p, {"id": 3, "op": "generate", "max_new_tokens": 3}, ids)
        assert r.header["ok"] and r.payloads["generated_lengths"].tolist() == [3, 3] and r.header["stop_reasons"] == ["max_new_tokens"] * 2
        r = ask(p, {"id": 4, "op": "last_token_loss_grad", "params": ["a"],
                    "interventions": [{"site": "attention-heads", "layer": 0, "action": "mixHeads", "target": "t",
                                       "weights": {"sigmoid": "a"}}]},
                {**ids, "targets": np.array([1, 2], np.int32), "a": np.zeros(4, np.float32), "t": np.ones(64, np.float32)})
        assert r.header["ok"] and r.payloads["grad.a"].shape == (4,) and np.isfinite(r.header["loss"])
        # A bad request is an error naming it; the worker keeps serving.
        r = ask(p, {"id": 5, "op": "forward"}, {"ids": np.array([1, 2], np.int32), "lengths": np.array([3], np.int32)})
        assert not r.header["ok"] and r.header["error"]["kind"] == "shape" and "request 5 (forward)" in r.header["error"]["message"]
        r = ask(p, {"id": 6, "op": "load", "model": "no-such-org/no-such-model"})
        assert r.header["error"]["kind"] == "model_not_found" and "Hugging Face cache" in r.header["error"]["message"]
        r = ask(p, {"id": 7, "op": "shutdown"})
        assert r.header == {"id": 7, "ok": True}
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_garbage_frame_gets_an_answer_then_exit_status_2():
    p = start()
    try:
        assert read_message(p.stdout).header["event"] == "ready"
        p.stdin.write(struct.pack("<I", 3) + b"{{{")
        p.stdin.flush()
        r = read_message(p.stdout)
        assert r.header["ok"] is False and r.header["error"]["kind"] == "frame" and r.header["id"] is None
        assert p.wait(timeout=30) == 2
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_org_name_resolves_in_the_hugging_face_cache_offline(tmp_path):
    """ORG/NAME is looked up in the local cache only (a cache laid out as huggingface_hub does)."""
    snapshot = tmp_path / "hub" / "models--tiny-org--tiny-llama" / "snapshots" / "0123456789abcdef"
    snapshot.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (snapshot / name).symlink_to(tiny_dir("llama") / name)
    (tmp_path / "hub" / "models--tiny-org--tiny-llama" / "refs").mkdir()
    (tmp_path / "hub" / "models--tiny-org--tiny-llama" / "refs" / "main").write_text("0123456789abcdef")
    p = start(HF_HUB_CACHE=str(tmp_path / "hub"), HF_HUB_OFFLINE="1")
    try:
        assert read_message(p.stdout).header["event"] == "ready"
        r = ask(p, {"id": 1, "op": "load", "model": "tiny-org/tiny-llama"})
        assert r.header["ok"], r.header
        assert r.header["config"]["source"] == "cache" and r.header["config"]["layers"] == 3
        r = ask(p, {"id": 2, "op": "load", "model": "tiny-org/absent"})
        assert r.header["error"]["kind"] == "model_not_found" and "hf download tiny-org/absent" in r.header["error"]["message"]
        assert ask(p, {"id": 3, "op": "shutdown"}).header["ok"]
        assert p.wait(timeout=30) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
