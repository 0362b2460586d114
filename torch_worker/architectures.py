"""Where the intervention sites live in transformers' model classes, per `config.model_type`.

One small table, keyed by the model type the checkpoint's config declares, never by a model's
name or path. Each entry names the attribute path from the loaded model to its list of decoder
layers, the attention module inside a layer and the attention output projection inside that.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import WorkerError


@dataclass(frozen=True)
class Architecture:
    """Attribute paths of one model type."""

    layers: tuple[str, ...]          # from the *ForCausalLM / *ForConditionalGeneration object
    attention: str = "self_attn"     # inside a decoder layer
    output_projection: str = "o_proj"  # inside the attention module; its INPUT is (B, T, H·Dh)
    # Inside a decoder layer: the norm applied to the attention output before it is added to the
    # residual stream (Gemma's sandwich norms), or None. (Llama's `post_attention_layernorm` is
    # the MLP's input norm, applied to the residual stream: not this.)
    attention_output_norm: str | None = None


_DECODER = Architecture(layers=("model", "layers"))
_GEMMA3_TEXT = Architecture(layers=("model", "layers"), attention_output_norm="post_attention_layernorm")

ARCHITECTURES: dict[str, Architecture] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen3": _DECODER,
    "mixtral": _DECODER,
    "gemma3_text": _GEMMA3_TEXT,
    # The multimodal Gemma 3 checkpoints (gemma-3-4b-pt/-it) load as
    # Gemma3ForConditionalGeneration: the text decoder sits under model.language_model.
    "gemma3": Architecture(layers=("model", "language_model", "layers"), attention_output_norm="post_attention_layernorm"),
}


def architecture(model_type: str) -> Architecture:
    """The table entry for `model_type`, or an "unsupported" error naming the known ones."""
    try:
        return ARCHITECTURES[model_type]
    except KeyError:
        known = ", ".join(sorted(ARCHITECTURES))
        raise WorkerError("unsupported", f"model_type {model_type!r} is not supported (known: {known})") from None


@dataclass
class Sites:
    """The modules a loaded model exposes at the intervention sites."""

    decoder_layers: list[torch.nn.Module]       # residual[l] = output of decoder_layers[l]
    output_projections: list[torch.nn.Module]   # attention-heads[l] = input of output_projections[l]
    attention_output_norms: list[torch.nn.Module | None]  # applied to output_projections[l]'s output, or None


def find_sites(model: torch.nn.Module, model_type: str) -> Sites:
    """Walks the model's own structure along the table's paths."""
    arch = architecture(model_type)
    node = model
    for name in arch.layers:
        if not hasattr(node, name):
            raise WorkerError("unsupported", f"{type(model).__name__} ({model_type}) has no attribute path {'.'.join(arch.layers)}")
        node = getattr(node, name)
    layers = list(node)
    projections, norms = [], []
    for i, layer in enumerate(layers):
        if arch.attention_output_norm is not None:
            norm = getattr(layer, arch.attention_output_norm, None)
            if norm is None:
                raise WorkerError("unsupported", f"decoder layer {i} of {model_type} has no {arch.attention_output_norm}")
            norms.append(norm)
        else:
            norms.append(None)
        attention = getattr(layer, arch.attention, None)
        projection = getattr(attention, arch.output_projection, None) if attention is not None else None
        if projection is None:
            raise WorkerError("unsupported", f"decoder layer {i} of {model_type} has no {arch.attention}.{arch.output_projection}")
        projections.append(projection)
    return Sites(decoder_layers=layers, output_projections=projections, attention_output_norms=norms)
