"""Ragged batches: the flat ids + lengths of a request, and left padding.

Left padding keeps every sequence's tokens contiguous and ending at the last column, so the last
token of every sequence is column T − 1, generated tokens append without holes, and
sliding-window attention (Gemma 3) sees the same relative distances as an unpadded run. Position
ids count each sequence's own tokens from 0, so rotary embeddings equal an unpadded run's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .errors import WorkerError

PAD_ID = 0  # any valid id: padded columns are masked out


@dataclass
class Batch:
    """A left-padded batch: ids, mask, positions all (B, T); lengths (B,)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    lengths: list[int]

    @property
    def width(self) -> int:
        return self.input_ids.shape[1]

    def column(self, b: int, index: int) -> int:
        """Column of token `index` of sequence b."""
        return self.width - self.lengths[b] + index

    def to(self, device) -> "Batch":
        return Batch(self.input_ids.to(device), self.attention_mask.to(device), self.position_ids.to(device), self.lengths)


def sequences(payloads: dict[str, np.ndarray], vocab: int, ids_name: str = "ids", lengths_name: str = "lengths",
              allow_empty: bool = False) -> list[list[int]]:
    """Splits the flat int32 `ids` (N,) by `lengths` (B,) into B sequences, checking them."""
    ids, lengths = payloads.get(ids_name), payloads.get(lengths_name)
    if ids is None or lengths is None:
        raise WorkerError("bad_request", f"payloads {ids_name!r} and {lengths_name!r} are required")
    if ids.dtype.kind != "i" or lengths.dtype.kind != "i" or ids.ndim != 1 or lengths.ndim != 1:
        raise WorkerError("shape", f"{ids_name!r} (N,) and {lengths_name!r} (B,) must be 1-D int32")
    if len(lengths) == 0:
        raise WorkerError("shape", "a batch needs at least one sequence")
    if (lengths < (0 if allow_empty else 1)).any():
        raise WorkerError("shape", f"every sequence needs at least one token; lengths {lengths.tolist()}")
    if int(lengths.sum()) != len(ids):
        raise WorkerError("shape", f"lengths sum to {int(lengths.sum())}, but {ids_name!r} has {len(ids)} ids")
    if len(ids) and (ids.min() < 0 or ids.max() >= vocab):
        raise WorkerError("shape", f"token ids must lie in 0..<{vocab}")
    out, start = [], 0
    for n in lengths.tolist():
        out.append(ids[start:start + n].tolist())
        start += n
    return out


def left_padded(seqs: list[list[int]], width: int | None = None) -> Batch:
    """Pads `seqs` on the left to `width` (default: the longest)."""
    width = max(len(s) for s in seqs) if width is None else width
    b = len(seqs)
    ids = torch.full((b, width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((b, width), dtype=torch.long)
    pos = torch.zeros((b, width), dtype=torch.long)
    for i, s in enumerate(seqs):
        n = len(s)
        if n:
            ids[i, width - n:] = torch.tensor(s, dtype=torch.long)
            mask[i, width - n:] = 1
            pos[i, width - n:] = torch.arange(n)
    return Batch(ids, mask, pos, [len(s) for s in seqs])
