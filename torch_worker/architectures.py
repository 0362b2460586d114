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


_DECODER = Architecture(layers=("model", "layers"))

ARCHITECTURES: dict[str, Architecture] = {
    "llama": _DECODER,
    "mistral": _DECODER,
    "qwen3": _DECODER,
    "mixtral": _DECODER,
    "gemma3_text": _DECODER,
    # The multimodal Gemma 3 checkpoints (gemma-3-4b-pt/-it) load as
    # Gemma3ForConditionalGeneration: the text decoder sits under model.language_model.
    "gemma3": Architecture(layers=("model", "language_model", "layers")),
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


def find_sites(model: torch.nn.Module, model_type: str) -> Sites:
    """Walks the model's own structure along the table's paths."""
    arch = architecture(model_type)
    node = model
    for name in arch.layers:
        if not hasattr(node, name):
            raise WorkerError("unsupported", f"{type(model).__name__} ({model_type}) has no attribute path {'.'.join(arch.layers)}")
        node = getattr(node, name)
    layers = list(node)
    projections = []
    for i, layer in enumerate(layers):
        attention = getattr(layer, arch.attention, None)
        projection = getattr(attention, arch.output_projection, None) if attention is not None else None
        if projection is None:
            raise WorkerError("unsupported", f"decoder layer {i} of {model_type} has no {arch.attention}.{arch.output_projection}")
        projections.append(projection)
    return Sites(decoder_layers=layers, output_projections=projections)
