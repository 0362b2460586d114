"""Real models from GGUF files through transformers' GGUF loader, against the reference folders
(transformers 5.23 fp32 on the dequantised weights): SmolLM2-135M-Instruct Q4_1 (llama) and
Gemma-3-270M Q4_K_M (gemma3_text; Q4_K/Q5_0/Q6_K/Q8_0 tensors). The same bars as the native
engine's parity tests: all prompts in one ragged batch, top-20 logits within 1e-3 and the
arg-max; head outputs at the last position within 1e-3 relative per layer; the SITE loss and
alpha-logit gradient on the last-token path within 1e-3 (relative for the gradient)."""

import json

import numpy as np
import pytest

from torch_worker import ops
from torch_worker.loading import load_model

from .conftest import models_dir, shared_dir

MODELS = {
    "smollm2-135m-instruct-q4_1": ("SmolLM2-135M-Instruct.Q4_1.gguf", ("llama", 30, 9, 3, 64, 576, 49152)),
    "gemma3-270m-q4_k_m": ("gemma-3-270m-q4_k_m.gguf", ("gemma3_text", 18, 4, 1, 256, 640, 262144)),
}


def relative_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖), as the Swift tests define it."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


@pytest.fixture(scope="module", params=list(MODELS))
def parity(request):
    from safetensors.numpy import load_file

    name = request.param
    path = models_dir() / MODELS[name][0]
    if not path.is_file():
        pytest.fail(f"{path} is missing: `bench models fetch` (or set BENCH_MODELS)")
    folder = shared_dir() / "reference" / name
    lm = load_model({"model": str(path), "device": "cpu", "dtype": "float32"})
    return name, lm, json.loads((folder / "reference.json").read_text()), load_file(folder / "tensors.safetensors")


def flat(seqs):
    return {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}


def test_config_facts(parity):
    name, lm, _, _ = parity
    f = lm.facts
    assert (f["model_type"], f["layers"], f["heads"], f["kv_heads"], f["head_dim"], f["hidden"], f["vocab"]) == MODELS[name][1]
    assert f["source"] == "gguf"


def test_top20_argmax_and_head_outputs_batched(parity):
    name, lm, reference, tensors = parity
    prompts = reference["prompts"]
    layers, width = lm.facts["layers"], lm.facts["heads"] * lm.facts["head_dim"]
    captures = [{"site": "attention-heads", "layer": l, "action": "capture"} for l in range(layers)]
    _, out = ops.forward({"op": "forward", "logits": "last", "interventions": captures}, flat([p["token_ids"] for p in prompts]), lm)
    worst_logit = worst_heads = 0.0
    for b, (p, row) in enumerate(zip(prompts, out["logits"])):
        assert int(row.argmax()) == p["greedy_token"], f"prompt {p['index']}"
        worst_logit = max(worst_logit, max(abs(float(row[i]) - v) for i, v in p["top20"]))
        expected = tensors[f"prompt{p['index']}.head_outputs_last"].reshape(layers, width)
        worst_heads = max(worst_heads, max(relative_error(out[f"capture.{l}"][b], expected[l]) for l in range(layers)))
    print(f"{name}: top-20 max |diff| {worst_logit:.3g}, head outputs max relative error {worst_heads:.3g} ({len(prompts)} prompts)")
    assert worst_logit < 1e-3 and worst_heads < 1e-3


def test_argmax_at_every_position(parity):
    name, lm, reference, tensors = parity
    prompts = reference["prompts"]
    if lm.facts["vocab"] > 100_000:
        # Every-position logits of all 14 prompts over a 262k vocabulary cost minutes on this CPU:
        # the first two prompts stand for them (the last positions of all are checked above).
        prompts = prompts[:2]
    _, out = ops.forward({"op": "forward", "logits": "all"}, flat([p["token_ids"] for p in prompts]), lm)
    start = 0
    for p in prompts:
        n = len(p["token_ids"])
        ours = out["logits"][start:start + n].argmax(axis=1)
        assert ours.tolist() == tensors[f"prompt{p['index']}.logits_all_positions_top1"].tolist(), f"prompt {p['index']}"
        start += n


def test_site_loss_and_alpha_gradient(parity):
    name, lm, reference, tensors = parity
    layers = lm.facts["layers"]
    embedding = tensors["site.task_embedding"].reshape(layers, -1)   # (L, H·Dh)
    alpha = tensors["site.alpha_logit"]                              # (L, H)
    ivs = [{"site": "attention-heads", "layer": l, "action": "mixHeads", "target": {"ref": "t", "index": [l]},
            "weights": {"sigmoid": {"ref": "alpha", "index": [l]}}} for l in range(layers)]
    worst_loss = worst_grad = 0.0
    for check in reference["site_checks"]:
        prompt = reference["prompts"][check["index"]]
        payloads = {**flat([prompt["token_ids"]]), "targets": np.array([check["target_first_token"]], np.int32),
                    "t": embedding, "alpha": alpha}
        fields, out = ops.last_token_loss_grad({"op": "last_token_loss_grad", "params": ["alpha"], "interventions": ivs},
                                               payloads, lm)
        worst_loss = max(worst_loss, abs(fields["loss"] - check["loss"]))
        worst_grad = max(worst_grad, relative_error(out["grad.alpha"], tensors[f"prompt{check['index']}.site_alpha_logit_grad"]))
    print(f"{name}: SITE loss max |diff| {worst_loss:.3g}, alpha-logit gradient max relative error {worst_grad:.3g}")
    assert worst_loss < 1e-3 and worst_grad < 1e-3
