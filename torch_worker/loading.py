"""The `load` operation: a Hugging Face folder, an ORG/NAME in the local Hugging Face cache, or
a GGUF file, through transformers' own loaders."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import torch

from .architectures import Sites, find_sites
from .errors import WorkerError
from .prefixes import PrefixMemo

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class LoadedModel:
    """A model ready for requests."""

    model: torch.nn.Module
    sites: Sites
    facts: dict            # the config facts returned by `load`
    input_device: torch.device  # where token ids go (the embedding's device)
    #: dtype of intervention values, parameters and gradients: float32, or float64 for a float64
    #: model (the tests' finite-difference checks); site rows are cast to it for the arithmetic.
    param_dtype: torch.dtype = torch.float32
    #: Recent prefix prefills of last-token calls, kept for the calls that repeat them.
    prefixes: PrefixMemo = field(default_factory=PrefixMemo)


def resolve_source(model: str) -> dict:
    """Classifies `model`: {"kind": "folder"|"gguf"|"cache", ...}. Raises model_not_found."""
    if model.endswith(".gguf"):
        if not os.path.isfile(model):
            raise WorkerError("model_not_found", f"GGUF file {model!r} does not exist")
        return {"kind": "gguf", "folder": os.path.dirname(os.path.abspath(model)), "file": os.path.basename(model)}
    if os.path.isdir(model):
        if not os.path.isfile(os.path.join(model, "config.json")):
            raise WorkerError("model_not_found", f"folder {model!r} has no config.json")
        return {"kind": "folder", "folder": model}
    if _REPO_ID.match(model) and not os.path.exists(model):
        return {"kind": "cache", "repo": model}
    raise WorkerError("model_not_found", f"{model!r} is neither a folder with config.json, a .gguf file, nor ORG/NAME")


def _cache_folder(repo: str) -> str:
    """The snapshot folder of `repo` in the local Hugging Face cache (offline; no hub access)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(repo, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        home = os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or "~/.cache/huggingface"
        raise WorkerError(
            "model_not_found",
            f"{repo} is not in the Hugging Face cache ({home}); this worker runs offline "
            f"(HF_HUB_OFFLINE=1): download it on a connected machine with `hf download {repo}` "
            "and copy the cache, or pass a local folder",
        ) from None


def load_model(request: dict) -> LoadedModel:
    """Loads the model a `load` request names. Options: device (cpu|cuda|auto), dtype
    (float32|bfloat16|float16), load_in_4bit (bitsandbytes NF4), device_map and max_memory
    (accelerate), attn_implementation (eager|sdpa), threads (CPU threads of torch)."""
    from transformers import AutoModelForCausalLM

    name = request.get("model")
    if not isinstance(name, str) or not name:
        raise WorkerError("bad_request", '"model" must be a non-empty string')
    device = request.get("device", "cpu")
    if device not in ("cpu", "cuda", "auto"):
        raise WorkerError("bad_request", f'"device" must be cpu, cuda or auto, not {device!r}')
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise WorkerError("unsupported", "device cuda asked for, but torch finds no CUDA device")
    threads = request.get("threads")
    if threads is not None:
        if not isinstance(threads, int) or threads < 1:
            raise WorkerError("bad_request", '"threads" must be an integer ≥ 1')
        torch.set_num_threads(threads)
    dtype_name = request.get("dtype", "float32")
    if dtype_name not in DTYPES:
        raise WorkerError("bad_request", f'"dtype" must be one of {sorted(DTYPES)}, not {dtype_name!r}')
    kwargs: dict = {"dtype": DTYPES[dtype_name]}
    attn = request.get("attn_implementation")
    if attn is not None:
        kwargs["attn_implementation"] = attn
    device_map = request.get("device_map")
    if device_map is not None:
        kwargs["device_map"] = device_map
        if request.get("max_memory") is not None:
            kwargs["max_memory"] = {(int(k) if str(k).isdigit() else k): v for k, v in request["max_memory"].items()}
    elif device == "cuda":
        kwargs["device_map"] = {"": 0}
    if request.get("load_in_4bit"):
        if not torch.cuda.is_available():
            raise WorkerError("unsupported", "load_in_4bit needs bitsandbytes on a CUDA device; none found")
        try:
            from transformers import BitsAndBytesConfig
            import bitsandbytes  # noqa: F401
        except ImportError as e:
            raise WorkerError("unsupported", f"load_in_4bit needs bitsandbytes: {e}") from None
        # As the SITE reference: NF4, compute in the requested dtype.
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=DTYPES[dtype_name])
        kwargs.setdefault("device_map", "auto")

    source = resolve_source(name)
    if source["kind"] == "gguf":
        path, kwargs["gguf_file"] = source["folder"], source["file"]
    elif source["kind"] == "folder":
        path = source["folder"]
    else:
        path = _cache_folder(source["repo"])
    try:
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except WorkerError:
        raise
    except Exception as e:  # transformers raises many kinds; report them uniformly
        raise WorkerError("load_failed", f"transformers could not load {name!r}: {type(e).__name__}: {e}") from None
    if "device_map" not in kwargs:
        model.to(device)
    model.eval()
    model.requires_grad_(False)

    config = model.config
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    model_type = config.model_type
    sites = find_sites(model, model_type)
    heads = text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or text.hidden_size // heads
    embedding = model.get_input_embeddings()
    eos = getattr(text, "eos_token_id", None)
    generation = getattr(model, "generation_config", None)
    if eos is None and generation is not None:
        eos = generation.eos_token_id
    facts = {
        "model_type": model_type,
        "text_model_type": getattr(text, "model_type", model_type),
        "architecture": type(model).__name__,
        "layers": text.num_hidden_layers,
        "heads": heads,
        "kv_heads": getattr(text, "num_key_value_heads", None) or heads,
        "head_dim": head_dim,
        "hidden": text.hidden_size,
        "vocab": text.vocab_size,
        "bos_token_id": getattr(text, "bos_token_id", None),
        "eos_token_ids": [eos] if isinstance(eos, int) else list(eos or []),
        "dtype": dtype_name,
        "device": str(embedding.weight.device),
        "load_in_4bit": bool(request.get("load_in_4bit")),
        "source": source["kind"],
        "threads": torch.get_num_threads(),
    }
    if len(sites.decoder_layers) != facts["layers"]:
        raise WorkerError("unsupported", f"{len(sites.decoder_layers)} decoder layers found, config says {facts['layers']}")
    return LoadedModel(model=model, sites=sites, facts=facts, input_device=embedding.weight.device)
