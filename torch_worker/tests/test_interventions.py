"""Intervention semantics on the tiny llama, against manual computations with the model's own
modules. B = 2 ragged sequences; L = 3 layers, H = 4 heads, Dh = 16, D = 64."""

import numpy as np
import pytest
import torch

from torch_worker import ops

from .conftest import golden, load_tiny

SEQS = [s["token_ids"] for s in golden("llama")["sequences"]]  # lengths 20 and 8


def run(lm, interventions, logits="all", seqs=SEQS, **payloads):
    header = {"op": "forward", "logits": logits, "interventions": interventions}
    base = {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}
    fields, out = ops.forward(header, {**base, **payloads}, lm)
    caps = {c["intervention"]: out[c["payload"]] for c in fields["captures"]}
    return out.get("logits"), caps


def capture(site, layer, position="last"):
    return {"site": site, "layer": layer, "position": position, "action": "capture"}


@pytest.fixture(scope="module")
def lm():
    return load_tiny("llama")


def test_capture_only_is_bit_identical_and_shaped(lm):
    plain, _ = run(lm, [])
    hooked, caps = run(lm, [capture("attention-heads", l) for l in range(3)] + [capture("residual", l, [3, 5]) for l in range(3)])
    assert np.array_equal(plain, hooked)
    assert all(caps[k].shape == (2, 64) for k in range(6))


def test_captures_in_a_ragged_batch_equal_single_runs(lm):
    ivs = [capture("attention-heads", 1, [4, 6]), capture("residual", 2)]
    _, batched = run(lm, ivs)
    for b, s in enumerate(SEQS):
        single = [dict(ivs[0], position=[ivs[0]["position"][b]]), ivs[1]]
        _, caps = run(lm, single, seqs=[s])
        for k in (0, 1):
            assert np.abs(caps[k][0] - batched[k][b]).max() < 1e-5


def test_mix_heads_weight_0_and_weight_1_onto_captured_heads_are_identity(lm):
    plain, caps = run(lm, [capture("attention-heads", l) for l in range(3)])
    rng = np.random.default_rng(1)
    noise = rng.standard_normal((3, 2, 64)).astype(np.float32)
    zero = [{"site": "attention-heads", "layer": l, "action": "mixHeads", "target": f"t{l}", "weights": "w0"} for l in range(3)]
    out, _ = run(lm, zero, w0=np.zeros(4, np.float32), **{f"t{l}": noise[l] for l in range(3)})
    assert np.array_equal(out, plain)
    one = [{"site": "attention-heads", "layer": l, "action": "mixHeads", "target": f"t{l}", "weights": "w1"} for l in range(3)]
    out, _ = run(lm, one, w1=np.ones((2, 4), np.float32), **{f"t{l}": caps[l] for l in range(3)})
    assert np.array_equal(out, plain)


def _last_layer_by_hand(lm, heads_in, residual_in):
    """Logits (B, V) of the last layer at one row per sequence from its attention-heads rows
    (B, H·Dh) and its input residual rows (B, D), with the model's own modules."""
    m = lm.model
    layer = m.model.layers[2]
    with torch.no_grad():
        h = torch.from_numpy(residual_in) + layer.self_attn.o_proj(torch.from_numpy(heads_in))
        h = h + layer.mlp(layer.post_attention_layernorm(h))
        return m.lm_head(m.model.norm(h)).numpy()


def test_replace_head_changes_only_that_head_and_later_positions(lm):
    plain, caps = run(lm, [capture("attention-heads", 2), capture("residual", 1)])
    value = np.random.default_rng(2).standard_normal((2, 16)).astype(np.float32)
    ivs = [{"site": "attention-heads", "layer": 2, "action": "replaceHead", "heads": [3, 1], "value": "v"},
           capture("attention-heads", 2)]
    out, after = run(lm, ivs, v=value)
    expected_heads = caps[0].copy()
    expected_heads[0, 48:64] = value[0]
    expected_heads[1, 16:32] = value[1]
    assert np.array_equal(after[1], expected_heads)  # a capture after it sees the replaced head
    manual = _last_layer_by_hand(lm, expected_heads, caps[1])
    last = [len(SEQS[0]) - 1, len(SEQS[0]) + len(SEQS[1]) - 1]
    assert np.abs(out[last] - manual).max() < 1e-5
    others = np.setdiff1d(np.arange(len(out)), last)
    assert np.array_equal(out[others], plain[others])  # only the last rows change
    # −1 leaves a sequence alone.
    out, _ = run(lm, [dict(ivs[0], heads=[-1, -1])], v=value)
    assert np.array_equal(out, plain)


def test_add_and_replace_at_the_residual_stream(lm):
    plain, caps = run(lm, [capture("residual", 2, [5, 2]), capture("residual", 1), capture("attention-heads", 2)])
    v = np.random.default_rng(3).standard_normal((2, 64)).astype(np.float32)
    # replace residual[2] (the last layer's output) at positions 5 and 2: those rows' logits
    # are lm_head(norm(v)); no later layer reads it, so every other row is unchanged.
    out, _ = run(lm, [{"site": "residual", "layer": 2, "position": [5, 2], "action": "replace", "value": "v"}], v=v)
    m = lm.model
    with torch.no_grad():
        manual = m.lm_head(m.model.norm(torch.from_numpy(v))).numpy()
    rows = [5, len(SEQS[0]) + 2]
    assert np.abs(out[rows] - manual).max() < 1e-5
    others = np.setdiff1d(np.arange(len(out)), rows)
    assert np.array_equal(out[others], plain[others])
    # at residual[0], position 5 / 2: rows before it are unchanged, it and later rows change.
    out, _ = run(lm, [{"site": "residual", "layer": 0, "position": [5, 2], "action": "replace", "value": "v"}], v=v)
    before = list(range(0, 5)) + list(range(len(SEQS[0]), len(SEQS[0]) + 2))
    after = np.setdiff1d(np.arange(len(out)), before)
    assert np.array_equal(out[before], plain[before])
    assert (np.abs(out[after] - plain[after]).max(axis=1) > 1e-6).all()
    # add at residual[2] = replace by captured + v; a (D,) vector applies to every sequence.
    added, _ = run(lm, [{"site": "residual", "layer": 2, "position": [5, 2], "action": "add", "value": "v"}], v=v[0])
    replaced, _ = run(lm, [{"site": "residual", "layer": 2, "position": [5, 2], "action": "replace", "value": "r"}],
                      r=caps[0] + v[0][None, :])
    assert np.abs(added - replaced).max() < 1e-5
    # add at residual[1] (the last layer's input), last token: by hand through layer 2 needs the
    # new heads too, so compare with the manual last layer on captured heads of that run.
    out, c = run(lm, [{"site": "residual", "layer": 1, "action": "add", "value": "v"}, capture("attention-heads", 2)], v=v)
    manual = _last_layer_by_hand(lm, c[1], caps[1] + v)
    assert np.abs(out[[len(SEQS[0]) - 1, -1]] - manual).max() < 1e-5


def test_bad_shapes_are_shape_errors(lm):
    from torch_worker.errors import WorkerError

    with pytest.raises(WorkerError) as e:
        run(lm, [{"site": "residual", "layer": 0, "action": "add", "value": "v"}], v=np.zeros((2, 63), np.float32))
    assert e.value.kind == "shape"
    with pytest.raises(WorkerError) as e:
        run(lm, [{"site": "residual", "layer": 7, "action": "capture"}])
    assert e.value.kind == "bad_request"
    with pytest.raises(WorkerError) as e:
        run(lm, [{"site": "residual", "layer": 0, "action": "mixHeads", "target": "v", "weights": "v"}], v=np.zeros(64, np.float32))
    assert e.value.kind == "bad_request"
    with pytest.raises(WorkerError) as e:
        run(lm, [capture("residual", 0, [3, 8])])  # sequence 1 has 8 tokens
    assert e.value.kind == "bad_request"


def test_gather_picks_rows_of_a_stacked_tensor():
    from torch_worker.errors import WorkerError
    from torch_worker.interventions import evaluate

    alpha = torch.arange(12, dtype=torch.float32).reshape(6, 2)  # two sets of 3 layers, 2 heads
    env = {"alpha": alpha}
    picked = evaluate({"gather": {"sigmoid": "alpha"}, "rows": [4, 1, 4]}, env, "t")
    assert torch.equal(picked, torch.sigmoid(alpha)[[4, 1, 4]])
    with pytest.raises(WorkerError) as err:
        evaluate({"gather": "alpha", "rows": [6]}, env, "t")
    assert err.value.kind == "shape"
    with pytest.raises(WorkerError) as err:
        evaluate({"gather": "alpha", "rows": "0"}, env, "t")
    assert err.value.kind == "bad_request"


def test_stack_repeats_one_row_per_part_in_blocks():
    from torch_worker.errors import WorkerError
    from torch_worker.interventions import evaluate

    w = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    v = torch.arange(8, dtype=torch.float32).reshape(2, 4)
    env = {"w": w, "v": v}
    parts = [{"weighted_sum": {"weights": {"gather": "w", "rows": [i]}, "vectors": "v"}} for i in range(3)]
    got = evaluate({"stack": parts, "repeats": [2, 0, 1]}, env, "t")
    assert torch.equal(got, torch.stack([w[0] @ v, w[0] @ v, w[2] @ v]))
    with pytest.raises(WorkerError) as err:
        evaluate({"stack": ["v"], "repeats": [1]}, env, "t")  # (2, 4) is not one row
    assert err.value.kind == "shape"
    with pytest.raises(WorkerError) as err:
        evaluate({"stack": parts, "repeats": [1]}, env, "t")
    assert err.value.kind == "bad_request"
