"""generate (greedy, EOS rules, interventions at the last prompt token) against step-by-step
forward calls, and project_heads against the output projection's weight slices."""

import numpy as np
import pytest
import torch

from torch_worker import ops

from .conftest import golden, load_tiny

SEQS = [s["token_ids"] for s in golden("llama")["sequences"]]


def flat(seqs):
    return {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}


def greedy_by_forward(lm, prompt, steps, eos, interventions=(), payloads=None):
    """Reference: one full forward per step; the intervention sits at the last prompt token."""
    out = []
    for step in range(steps):
        ivs = [dict(iv, position=[len(prompt) - 1]) for iv in interventions]
        _, r = ops.forward({"op": "forward", "logits": "last", "interventions": ivs}, {**flat([prompt + out]), **(payloads or {})}, lm)
        logits = r["logits"][0].copy()
        if step == 0:
            logits[eos] = -np.inf
        token = int(logits.argmax())
        if token in eos:
            return out, "eos"
        out.append(token)
    return out, "max_new_tokens"


@pytest.fixture(scope="module")
def lm():
    return load_tiny("llama")


def generate(lm, seqs, steps, eos, interventions=(), **payloads):
    fields, r = ops.generate({"op": "generate", "max_new_tokens": steps, "eos_token_ids": eos, "interventions": list(interventions)},
                             {**flat(seqs), **payloads}, lm)
    counts = r["generated_lengths"].tolist()
    starts = np.cumsum([0] + counts)
    return [r["generated"][starts[i]:starts[i + 1]].tolist() for i in range(len(seqs))], fields["stop_reasons"]


def test_batched_greedy_equals_step_by_step_forward(lm):
    got, reasons = generate(lm, SEQS, 6, [2])
    for s, g, why in zip(SEQS, got, reasons):
        assert (g, why) == greedy_by_forward(lm, s, 6, [2])


def test_eos_suppressed_first_then_stops(lm):
    free, _ = generate(lm, SEQS[:1], 4, [2])
    # Make the first and third greedy tokens "EOS": the first is suppressed, the third stops.
    eos = [free[0][0], free[0][2]]
    got, reasons = generate(lm, SEQS[:1], 4, eos)
    expected = greedy_by_forward(lm, SEQS[0], 4, eos)
    assert (got[0], reasons[0]) == expected and reasons[0] == "eos"
    got, reasons = generate(lm, [SEQS[1], SEQS[0]], 4, eos)  # the other sequence keeps going
    assert (got[1], reasons[1]) == expected
    assert (got[0], reasons[0]) == greedy_by_forward(lm, SEQS[1], 4, eos)


def test_interventions_act_at_the_last_prompt_token_only(lm):
    v = (3 * np.random.default_rng(4).standard_normal(64)).astype(np.float32)
    ivs = [{"site": "residual", "layer": 1, "action": "add", "value": "v"}]
    plain, _ = generate(lm, SEQS, 5, [2])
    got, reasons = generate(lm, SEQS, 5, [2], ivs, v=v)
    assert got != plain
    for s, g, why in zip(SEQS, got, reasons):
        assert (g, why) == greedy_by_forward(lm, s, 5, [2], ivs, {"v": v})


def test_project_heads_equals_output_projection_slices(lm):
    rng = np.random.default_rng(5)
    heads = rng.standard_normal((2, 64)).astype(np.float32)
    _, r = ops.project_heads({"op": "project_heads", "layers": [0, 2]}, {"heads": heads}, lm)
    assert r["projected"].shape == (2, 4, 64)
    for k, layer in enumerate([0, 2]):
        w = lm.model.model.layers[layer].self_attn.o_proj.weight.detach().numpy()
        for h in range(4):
            manual = w[:, h * 16:(h + 1) * 16] @ heads[k, h * 16:(h + 1) * 16]
            assert np.abs(r["projected"][k, h] - manual).max() < 1e-5


def test_project_heads_through_the_attention_norm_sums_to_the_normed_attention_output():
    # Gemma 3 normalises the attention output before adding it: the rows then sum to norm(W_o a).
    lm = load_tiny("gemma3")
    h, dh = lm.facts["heads"], lm.facts["head_dim"]
    heads = np.random.default_rng(6).standard_normal((1, h * dh)).astype(np.float32)
    _, raw = ops.project_heads({"op": "project_heads", "layers": [1]}, {"heads": heads}, lm)
    _, normed = ops.project_heads({"op": "project_heads", "layers": [1], "through_attention_norm": True}, {"heads": heads}, lm)
    layer = lm.sites.decoder_layers[1]
    with torch.no_grad():
        attention = layer.self_attn.o_proj(torch.from_numpy(heads))
        expected = layer.post_attention_layernorm(attention).numpy()[0]
    assert np.abs(normed["projected"][0].sum(axis=0) - expected).max() < 1e-4
    assert np.abs(raw["projected"][0].sum(axis=0) - attention.numpy()[0]).max() < 1e-4
    # A family without such a norm ignores the flag.
    llama = load_tiny("llama")
    x = np.random.default_rng(7).standard_normal((1, llama.facts["heads"] * llama.facts["head_dim"])).astype(np.float32)
    _, a = ops.project_heads({"op": "project_heads", "layers": [0]}, {"heads": x}, llama)
    _, b = ops.project_heads({"op": "project_heads", "layers": [0], "through_attention_norm": True}, {"heads": x}, llama)
    assert np.array_equal(a["projected"], b["projected"])
