"""Worker logits vs golden.json (transformers 5.23 fp32) for the five tiny checkpoints, at every
position: one sequence at a time, and both sequences as one ragged left-padded batch."""

import numpy as np
import pytest

from torch_worker import ops

from .conftest import FAMILIES, golden, load_tiny

TOLERANCE = 1e-4
MAX_DIFFERENCES = {}


def request(seqs, **fields):
    payloads = {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}
    return {"op": "forward", "logits": "all", **fields}, payloads


@pytest.mark.parametrize("family", FAMILIES)
def test_logits_equal_golden_one_at_a_time_and_batched(family):
    lm = load_tiny(family)
    gold = golden(family)["sequences"]
    expected = [np.array(s["logits"], np.float32) for s in gold]
    worst = 0.0
    for s, e in zip(gold, expected):
        _, out = ops.forward(*request([s["token_ids"]]), lm)
        assert out["logits"].shape == e.shape
        worst = max(worst, float(np.abs(out["logits"] - e).max()))
    # Both orders, so that each sequence is once the short (padded) one.
    for order in (gold, gold[::-1]):
        _, out = ops.forward(*request([s["token_ids"] for s in order]), lm)
        flat = np.concatenate([np.array(s["logits"], np.float32) for s in order])
        assert out["logits"].shape == flat.shape
        worst = max(worst, float(np.abs(out["logits"] - flat).max()))
        _, last = ops.forward(*request([s["token_ids"] for s in order], logits="last"), lm)
        rows = np.stack([np.array(s["logits"][-1], np.float32) for s in order])
        worst = max(worst, float(np.abs(last["logits"] - rows).max()))
    MAX_DIFFERENCES[family] = worst
    print(f"{family}: max |worker - golden| = {worst:.3g}")
    assert worst < TOLERANCE


@pytest.mark.parametrize("family", FAMILIES)
def test_eager_attention_matches_golden_batched(family):
    lm = load_tiny(family, attn_implementation="eager")
    gold = golden(family)["sequences"]
    _, out = ops.forward(*request([s["token_ids"] for s in gold]), lm)
    flat = np.concatenate([np.array(s["logits"], np.float32) for s in gold])
    assert float(np.abs(out["logits"] - flat).max()) < TOLERANCE


def test_bfloat16_on_cpu_loads_intervenes_and_stays_near_golden():
    """The reduced-precision path (dtype bfloat16): values are cast to the site's dtype, the
    intervention arithmetic is float32, captures and gradients come back float32."""
    lm = load_tiny("llama", dtype="bfloat16")
    assert lm.facts["dtype"] == "bfloat16" and str(next(lm.model.parameters()).dtype) == "torch.bfloat16"
    gold = golden("llama")["sequences"]
    seqs = [s["token_ids"] for s in gold]
    ivs = [{"site": "attention-heads", "layer": 1, "action": "capture"},
           {"site": "residual", "layer": 0, "action": "add", "value": "zero"}]
    header, payloads = request(seqs, interventions=ivs)
    fields, out = ops.forward(header, {**payloads, "zero": np.zeros(64, np.float32)}, lm)
    flat = np.concatenate([np.array(s["logits"], np.float32) for s in gold])
    assert out["logits"].dtype == np.float32 and out["capture.0"].dtype == np.float32
    assert np.abs(out["logits"] - flat).max() < 5e-2
    grad_request = {"op": "last_token_loss_grad", "params": ["a"],
                    "interventions": [{"site": "attention-heads", "layer": 2, "action": "mixHeads", "target": "t", "weights": {"sigmoid": "a"}}]}
    f, g = ops.last_token_loss_grad(grad_request, {**payloads, "targets": np.array([3, 4], np.int32),
                                                   "a": np.zeros(4, np.float32), "t": np.ones(64, np.float32)}, lm)
    assert g["grad.a"].dtype == np.float32 and np.isfinite(g["grad.a"]).all() and np.abs(g["grad.a"]).max() > 0
