"""Prefix prefills kept between last-token calls: a repeated prefix set runs no prefix and gives
the same rows as a full forward, calls in between (with interventions) leave a kept cache as it
was, the memo evicts least recently used sets by bytes, and calls without targets."""

import numpy as np
import pytest
import torch

from torch_worker import ops
from torch_worker.errors import WorkerError
from torch_worker.prefixes import PrefixMemo, copied

from .conftest import FAMILIES, golden, load_tiny


def prompts(family: str) -> list[list[int]]:
    # The golden sequences (lengths 20 and 8: longer than Gemma 3's sliding window of 8) and a
    # prompt of one token (an empty prefix).
    return [s["token_ids"] for s in golden(family)["sequences"]] + [[7]]


def payload(seqs, **extra):
    return {"ids": np.array([t for s in seqs for t in s], np.int32),
            "lengths": np.array([len(s) for s in seqs], np.int32), **extra}


def last_token(lm, seqs, ivs=None, **extra):
    request = {"op": "last_token_loss_grad", "interventions": ivs or [], "grad": False, "return_logits": True}
    return ops.last_token_loss_grad(request, payload(seqs, **extra), lm)


@pytest.fixture(params=FAMILIES)
def family(request):
    load_tiny(request.param).prefixes.clear()
    return request.param


def test_a_repeated_prefix_set_runs_no_prefix_and_equals_a_full_forward(family):
    lm, seqs = load_tiny(family), prompts(family)
    first_fields, first = last_token(lm, seqs)
    assert first_fields["prefix_tokens_run"] == sum(len(s) - 1 for s in seqs)
    # A call with an intervention in between runs on a copy of the kept cache.
    heads = lm.facts["heads"]
    value = np.random.default_rng(3).standard_normal((len(seqs), lm.facts["head_dim"])).astype(np.float32)
    ivs = [{"site": "attention-heads", "layer": 0, "action": "replaceHead", "heads": [heads - 1] * len(seqs), "value": "v"}]
    patched_fields, patched = last_token(lm, seqs, ivs, v=value)
    assert patched_fields["prefix_tokens_run"] == 0
    assert np.abs(patched["logits"] - first["logits"]).max() > 1e-4
    again_fields, again = last_token(lm, seqs)
    assert again_fields["prefix_tokens_run"] == 0
    assert np.array_equal(again["logits"], first["logits"])
    _, full = ops.forward({"op": "forward", "logits": "last"}, payload(seqs), lm)
    assert np.abs(again["logits"] - full["logits"]).max() < 1e-4


def test_a_scan_repeating_each_prompt_uses_the_kept_set_of_distinct_prompts(family):
    lm, seqs = load_tiny(family), prompts(family)
    _, alone = last_token(lm, seqs)
    repeated = [seqs[i % len(seqs)] for i in range(3 * len(seqs))]
    fields, out = last_token(lm, repeated)
    assert fields["prefix_tokens_run"] == 0
    # Equal up to the rounding of a larger batch's products.
    for r in range(len(repeated)):
        assert np.abs(out["logits"][r] - alone["logits"][r % len(seqs)]).max() < 1e-5


def test_without_targets_there_is_no_loss_and_the_rows_equal_a_loss_call(family):
    lm, seqs = load_tiny(family), prompts(family)
    fields, out = last_token(lm, seqs)
    assert fields["loss"] is None and "loss" not in out
    with_targets, out_t = last_token(lm, seqs, targets=np.array([1, 2, 3], np.int32))
    assert with_targets["loss"] is not None
    assert np.array_equal(out["logits"], out_t["logits"])


def test_gradients_without_targets_are_refused():
    lm = load_tiny("llama")
    alpha = np.zeros((3, 4), np.float32)
    request = {"op": "last_token_loss_grad", "params": ["alpha"], "interventions": []}
    with pytest.raises(WorkerError) as raised:
        ops.last_token_loss_grad(request, payload(prompts("llama"), alpha=alpha), lm)
    assert raised.value.kind == "bad_request" and "targets" in raised.value.message


def test_the_memo_evicts_the_least_recently_used_set_and_keeps_none_over_its_limit():
    memo = PrefixMemo(limit_bytes=3000)
    mask = torch.ones((1, 10), dtype=torch.long)   # 80 bytes

    class Layer:
        def __init__(self, n):
            self.keys = torch.zeros(n, dtype=torch.float32)
            self.values = torch.zeros(n, dtype=torch.float32)

    class Cache:
        def __init__(self, n):
            self.layers = [Layer(n)]

    memo.put(("a",), Cache(100), mask)   # 880 bytes
    memo.put(("b",), Cache(100), mask)
    assert memo.get(("a",)) is not None   # a is now the most recent
    memo.put(("c",), Cache(200), mask)   # 1680 bytes: b goes
    assert set(memo.kept) == {("a",), ("c",)} and memo.bytes == 880 + 1680
    kept = memo.put(("d",), Cache(1000), mask)   # over the limit: returned, not kept
    assert kept.nbytes == 8080 and ("d",) not in memo.kept and memo.bytes == 880 + 1680


def test_a_copied_cache_runs_without_changing_the_kept_one():
    lm = load_tiny("llama")
    lm.prefixes.clear()
    seqs = prompts("llama")
    last_token(lm, seqs)
    (kept,) = lm.prefixes.kept.values()
    before = [(layer.keys, layer.keys.shape) for layer in kept.cache.layers]
    fresh = copied(kept.cache)
    fresh.reorder_cache(torch.tensor([0, 0, 1]))
    last_token(lm, seqs)
    for (tensor, shape), layer in zip(before, kept.cache.layers):
        assert layer.keys is tensor and layer.keys.shape == shape
