"""A GGUF file through transformers' GGUF loader: SmolLM2-135M-Instruct Q4_1 (transformers
dequantises every tensor to the requested dtype with the gguf package). Top-20 logits of the
reference prompts, run as one ragged batch, vs reference.json (transformers 5.23 fp32)."""

import json

import numpy as np
import pytest

from torch_worker import ops
from torch_worker.loading import load_model

from .conftest import models_dir, shared_dir

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def smollm2():
    path = models_dir() / GGUF
    if not path.is_file():
        pytest.fail(f"{path} is missing: `bench models fetch smollm2-135m` (or set BENCH_MODELS)")
    return load_model({"model": str(path), "device": "cpu", "dtype": "float32"})


def test_config_facts(smollm2):
    f = smollm2.facts
    assert (f["model_type"], f["layers"], f["heads"], f["kv_heads"], f["head_dim"], f["hidden"], f["vocab"], f["source"]) == \
        ("llama", 30, 9, 3, 64, 576, 49152, "gguf")


def test_top20_logits_match_reference_batched(smollm2):
    reference = json.loads((shared_dir() / "reference" / "smollm2-135m-instruct-q4_1" / "reference.json").read_text())
    prompts = reference["prompts"]
    ids = np.array([t for p in prompts for t in p["token_ids"]], np.int32)
    lengths = np.array([len(p["token_ids"]) for p in prompts], np.int32)
    _, out = ops.forward({"op": "forward", "logits": "last"}, {"ids": ids, "lengths": lengths}, smollm2)
    worst = 0.0
    for p, row in zip(prompts, out["logits"]):
        top = p["top20"]
        worst = max(worst, max(abs(float(row[i]) - v) for i, v in top))
        assert np.argsort(-row, kind="stable")[:20].tolist() == [i for i, _ in top]
    print(f"SmolLM2 Q4_1 top-20: max |worker - reference| = {worst:.3g} over {len(prompts)} prompts")
    assert worst < 1e-3
