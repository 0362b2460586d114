"""Prefix prefills kept between requests.

A last-token call runs each prompt up to, and excluding, its last token, then the last tokens
with the interventions. Methods call the same prompts again and again (a causal-indirect-effect
scan sends the same 25 corrupted prompts in every call, one head per row; validation sends the
same prompts at every check), so the worker keeps the KV caches of the most recent prefix sets
and runs a set again only when it is not kept. Results are the same tensors either way.

A kept cache is never changed: each call gets a copy of its layer objects, whose tensors it
shares (transformers' dynamic cache layers replace their tensors on update, by concatenation or
selection, and never write into them).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass

import torch

#: The most bytes of kept caches (keys, values and masks); the least recently used go first, and
#: a prefix set larger than this is run and not kept.
MEMO_BYTES = 1 << 30


@dataclass
class KeptPrefill:
    """The prefill of one set of distinct prefixes: its cache and (B, Tp) mask, left padded."""

    cache: object
    mask: torch.Tensor
    nbytes: int


def _cache_bytes(cache) -> int:
    total = 0
    for layer in getattr(cache, "layers", []):
        for t in (getattr(layer, "keys", None), getattr(layer, "values", None)):
            if isinstance(t, torch.Tensor):
                total += t.numel() * t.element_size()
    return total


def copied(cache):
    """A cache that can be run on without changing `cache`: new layer objects, shared tensors."""
    fresh = copy.copy(cache)
    fresh.layers = [copy.copy(layer) for layer in cache.layers]
    return fresh


class PrefixMemo:
    """Least-recently-used prefills by their prefix set (a tuple of token tuples, in order)."""

    def __init__(self, limit_bytes: int = MEMO_BYTES):
        self.limit = limit_bytes
        self.kept: OrderedDict[tuple, KeptPrefill] = OrderedDict()
        self.bytes = 0

    def get(self, key: tuple) -> KeptPrefill | None:
        kept = self.kept.get(key)
        if kept is not None:
            self.kept.move_to_end(key)
        return kept

    def put(self, key: tuple, cache, mask: torch.Tensor) -> KeptPrefill:
        """Keeps the prefill when it fits, evicting the least recently used; returns it either way."""
        kept = KeptPrefill(cache, mask, _cache_bytes(cache) + mask.numel() * mask.element_size())
        if kept.nbytes > self.limit:
            return kept
        old = self.kept.pop(key, None)
        if old is not None:
            self.bytes -= old.nbytes
        while self.kept and self.bytes + kept.nbytes > self.limit:
            _, evicted = self.kept.popitem(last=False)
            self.bytes -= evicted.nbytes
        self.kept[key] = kept
        self.bytes += kept.nbytes
        return kept

    def clear(self):
        self.kept.clear()
        self.bytes = 0
