"""The `gemma3` entry of the site table (gemma-3-4b-pt/-it load as
Gemma3ForConditionalGeneration, the decoder under model.language_model): a multimodal model
built around the tiny gemma3 text checkpoint (a 1-layer vision tower of random weights), saved
to a folder and loaded by the worker; its text logits equal the tiny checkpoint's golden ones."""

import json

import numpy as np
import pytest
import torch

from torch_worker import ops
from torch_worker.loading import load_model

from .conftest import golden, tiny_dir


@pytest.fixture(scope="module")
def multimodal(tmp_path_factory):
    from transformers import AutoModelForCausalLM, Gemma3Config, Gemma3ForConditionalGeneration

    torch.manual_seed(0)
    text = json.loads((tiny_dir("gemma3") / "config.json").read_text())
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=28, patch_size=14)
    model = Gemma3ForConditionalGeneration(Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4))
    source = AutoModelForCausalLM.from_pretrained(tiny_dir("gemma3")).state_dict()
    model.model.language_model.load_state_dict({k[len("model."):]: v for k, v in source.items() if k.startswith("model.")})
    folder = tmp_path_factory.mktemp("gemma3-multimodal")
    model.save_pretrained(folder)
    return load_model({"model": str(folder), "device": "cpu", "dtype": "float32"})


def test_sites_and_logits_of_the_multimodal_gemma3(multimodal):
    assert multimodal.facts["model_type"] == "gemma3" and multimodal.facts["text_model_type"] == "gemma3_text"
    assert (multimodal.facts["layers"], multimodal.facts["heads"], multimodal.facts["head_dim"]) == (7, 4, 32)
    gold = golden("gemma3")["sequences"]
    seqs = [s["token_ids"] for s in gold]
    payloads = {"ids": np.array([t for s in seqs for t in s], np.int32), "lengths": np.array([len(s) for s in seqs], np.int32)}
    ivs = [{"site": "attention-heads", "layer": 6, "action": "capture"}, {"site": "residual", "layer": 5, "action": "capture"}]
    fields, out = ops.forward({"op": "forward", "logits": "all", "interventions": ivs}, payloads, multimodal)
    expected = np.concatenate([np.array(s["logits"], np.float32) for s in gold])
    assert np.abs(out["logits"] - expected).max() < 1e-4
    assert out["capture.0"].shape == (2, 128) and out["capture.1"].shape == (2, 64)
    v = np.ones(64, np.float32)
    _, changed = ops.forward({"op": "forward", "logits": "last",
                              "interventions": [{"site": "residual", "layer": 5, "action": "add", "value": "v"}]},
                             {**payloads, "v": v}, multimodal)
    last = expected[[len(seqs[0]) - 1, -1]]
    assert np.abs(changed["logits"] - last).max() > 1e-3
