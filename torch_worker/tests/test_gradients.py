"""last_token_loss_grad: gradients w.r.t. SITE mix logits and LTV weights vs central finite
differences on a float64 copy of the tiny llama, and the loss vs a full forward."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torch_worker import ops
from torch_worker.architectures import find_sites
from torch_worker.loading import LoadedModel

from .conftest import golden, load_tiny

L, H, D = 3, 4, 64
SEQS = [s["token_ids"] for s in golden("llama")["sequences"]] + [[7]]  # lengths 20, 8, 1 (empty prefix)
TARGETS = np.array([11, 200, 42], np.int32)
MAX_RELATIVE = {}


def batch():
    return {"ids": np.array([t for s in SEQS for t in s], np.int32), "lengths": np.array([len(s) for s in SEQS], np.int32),
            "targets": TARGETS}


def _float64_rms_norm(module):
    """transformers' LlamaRMSNorm computes in float32 whatever its input; the finite-difference
    copy needs every parameter-dependent step in float64, so its norms compute in the input dtype."""
    def forward(x):
        return module.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + module.variance_epsilon))
    module.forward = forward


@pytest.fixture(scope="module")
def models():
    lm32 = load_tiny("llama")
    m64 = copy.deepcopy(lm32.model).double()
    for module in m64.modules():
        if type(module).__name__.endswith("RMSNorm"):
            _float64_rms_norm(module)
    lm64 = LoadedModel(m64, find_sites(m64, "llama"), lm32.facts, lm32.input_device, param_dtype=torch.float64)
    return lm32, lm64


def site_request():
    ivs = [{"site": "attention-heads", "layer": l, "action": "mixHeads", "target": f"t{l}",
            "weights": {"sigmoid": {"ref": "alpha", "index": [l]}}} for l in range(L)]
    return {"op": "last_token_loss_grad", "params": ["alpha"], "interventions": ivs, "return_logits": True}


def ltv_request():
    ivs = [{"site": "residual", "layer": l, "action": "add",
            "value": {"weighted_sum": {"weights": {"ref": "w", "index": [l]}, "vectors": {"ref": "P", "index": [l]}}}}
           for l in range(L)]
    return {"op": "last_token_loss_grad", "params": ["w"], "interventions": ivs}


def site_payloads():
    rng = np.random.default_rng(10)
    p = {f"t{l}": rng.standard_normal((len(SEQS), H * 16)).astype(np.float32) for l in range(L)}
    p["alpha"] = rng.standard_normal((L, H)).astype(np.float32)
    return p


def ltv_payloads():
    rng = np.random.default_rng(11)
    return {"P": rng.standard_normal((L, H, D)).astype(np.float32), "w": (0.5 * rng.standard_normal((L, H))).astype(np.float32)}


def check(models, request, payloads, name, label):
    lm32, lm64 = models
    full = {**batch(), **payloads}
    _, out64 = ops.last_token_loss_grad(request, full, lm64)
    _, out32 = ops.last_token_loss_grad(request, full, lm32)
    analytic64, analytic32 = out64[f"grad.{name}"], out32[f"grad.{name}"]
    assert analytic64.shape == payloads[name].shape and analytic32.dtype == np.float32
    eps = 1e-5
    numeric = np.zeros_like(analytic64)
    base = payloads[name].astype(np.float64)
    for idx in np.ndindex(base.shape):
        losses = []
        for sign in (1, -1):
            shifted = base.copy()
            shifted[idx] += sign * eps
            # Payloads travel as float32 on the wire, but in-process a float64 array stays float64.
            fields, _ = ops.last_token_loss_grad({**request, "grad": False}, {**full, name: shifted}, lm64)
            losses.append(fields["loss"])  # the header's float (the (1,) payload is float32)
        numeric[idx] = (losses[0] - losses[1]) / (2 * eps)
    scale = np.abs(numeric).max()
    rel64 = np.abs(analytic64 - numeric).max() / scale
    rel32 = np.abs(analytic32 - numeric).max() / scale
    MAX_RELATIVE[label] = (rel64, rel32)
    print(f"{label}: max |grad - finite difference| / max |fd|: float64 {rel64:.2e}, float32 {rel32:.2e}")
    assert rel64 < 1e-6 and rel32 < 1e-3
    return out32


def test_site_mix_logit_gradients_match_finite_differences(models):
    check(models, site_request(), site_payloads(), "alpha", "SITE alpha logits")


def test_ltv_weight_gradients_match_finite_differences(models):
    check(models, ltv_request(), ltv_payloads(), "w", "LTV weights")


def test_last_token_loss_equals_full_forward_loss(models):
    lm32, _ = models
    payloads = site_payloads()
    fields, out = ops.last_token_loss_grad(site_request(), {**batch(), **payloads}, lm32)
    request = site_request()
    forward = {"op": "forward", "logits": "last", "interventions": request["interventions"]}
    _, full = ops.forward(forward, {**batch(), **payloads}, lm32)
    assert np.abs(out["logits"] - full["logits"]).max() < 1e-5
    loss = F.cross_entropy(torch.from_numpy(full["logits"]), torch.from_numpy(TARGETS.astype(np.int64))).item()
    assert abs(fields["loss"] - loss) < 1e-5


def test_repeated_prompts_share_one_prefill_and_give_the_same_rows(models):
    """A batch of one prompt repeated under per-sequence values (as a head-by-head scan sends it)
    equals the prompts run one at a time."""
    lm32, _ = models
    prompt = SEQS[0]
    rng = np.random.default_rng(12)
    values = rng.standard_normal((3, 16)).astype(np.float32)
    ivs = [{"site": "attention-heads", "layer": 1, "action": "replaceHead", "heads": [0, 2, -1], "value": "v"}]
    request = {"op": "last_token_loss_grad", "interventions": ivs, "return_logits": True}
    together = {"ids": np.array(prompt * 3, np.int32), "lengths": np.array([len(prompt)] * 3, np.int32),
                "targets": np.array([5, 5, 5], np.int32), "v": values}
    _, out = ops.last_token_loss_grad(request, together, lm32)
    for b, head in enumerate([0, 2, -1]):
        single = {"ids": np.array(prompt, np.int32), "lengths": np.array([len(prompt)], np.int32),
                  "targets": np.array([5], np.int32), "v": values[b:b + 1]}
        one = [dict(ivs[0], heads=[head])]
        _, o = ops.last_token_loss_grad({**request, "interventions": one}, single, lm32)
        assert np.abs(o["logits"][0] - out["logits"][b]).max() < 1e-5


def test_non_finite_loss_is_null_in_an_encodable_header(models):
    from torch_worker.protocol import encode_message

    lm32, _ = models
    payloads = site_payloads()
    payloads["alpha"] = np.full((L, H), np.nan, np.float32)
    fields, out = ops.last_token_loss_grad(site_request(), {**batch(), **payloads}, lm32)
    assert fields["loss"] is None and np.isnan(out["loss"][0])
    encode_message({"id": 1, "ok": True, **fields}, out)
