"""The request handlers that need a model: forward, generate, last_token_loss_grad, project_heads.

Each takes the request header (dict), its payloads (name → numpy array) and the loaded model,
and returns (response fields, response payloads). Shape legend: B sequences, T padded width,
N tokens of all sequences, V vocabulary, L layers, H heads, Dh head dim, D hidden.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .batching import Batch, left_padded, sequences
from .errors import WorkerError
from .interventions import Session, hooked, prepare
from .loading import LoadedModel
from .prefixes import copied


def _float_env(payloads: dict[str, np.ndarray], dtype: torch.dtype, skip=()) -> dict[str, torch.Tensor]:
    """Float payloads as tensors of `dtype` (the model's parameter dtype), for value expressions."""
    return {k: torch.from_numpy(np.array(v)).to(dtype) for k, v in payloads.items()
            if v.dtype.kind == "f" and k not in skip}


def _columns(prepared, batch: Batch, last_only: bool = False) -> list[torch.Tensor]:
    """Per intervention, the (B,) columns it acts on in `batch` (left padded)."""
    cols = []
    for p in prepared:
        if p.position == "last":
            idx = [batch.width - 1] * len(batch.lengths)
        else:
            idx = [batch.column(b, i) for b, i in enumerate(p.position)]
        cols.append(torch.tensor(idx, dtype=torch.long))
    return cols


def _captures(session: Session) -> tuple[list[dict], dict[str, np.ndarray]]:
    listing, payloads = [], {}
    for p in session.prepared:
        if p.action == "capture" and p.index in session.captures:
            name = f"capture.{p.index}"
            payloads[name] = session.captures[p.index].numpy()
            listing.append({"intervention": p.index, "site": p.site, "layer": p.layer, "payload": name})
    return listing, payloads


def _call(lm: LoadedModel, batch: Batch, **kwargs):
    b = batch.to(lm.input_device)
    return lm.model(input_ids=b.input_ids, attention_mask=b.attention_mask, position_ids=b.position_ids, **kwargs)


def forward(req: dict, payloads: dict, lm: LoadedModel):
    """ids (N,) + lengths (B,) → logits (B, V) for "last", (N, V) for "all", none for "none";
    captures (B, W) each."""
    seqs = sequences(payloads, lm.facts["vocab"])
    rows = req.get("logits", "last")
    if rows not in ("last", "all", "none"):
        raise WorkerError("bad_request", f'"logits" must be last, all or none, not {rows!r}')
    batch = left_padded(seqs)
    with torch.no_grad():
        prepared = prepare(req.get("interventions"), _float_env(payloads, lm.param_dtype), len(seqs), batch.lengths, lm.facts)
        session = Session(prepared, _columns(prepared, batch), lm.facts["head_dim"], lm.param_dtype)
        with hooked(lm.sites, session):
            out = _call(lm, batch, use_cache=False, logits_to_keep=0 if rows == "all" else 1)
    listing, result = _captures(session)
    logits = out.logits.float()
    if rows == "last":
        result["logits"] = logits[:, -1, :].cpu().numpy()
    elif rows == "all":
        result["logits"] = torch.cat([logits[b, batch.width - n:, :] for b, n in enumerate(batch.lengths)]).cpu().numpy()
    return {"captures": listing}, result


def generate(req: dict, payloads: dict, lm: LoadedModel):
    """Greedy decoding of 1..max_new_tokens tokens per prompt; interventions act in the prompt
    pass only (position "last" = the last prompt token). EOS is suppressed at the first step;
    a sequence stops at an EOS (not returned) or at max_new_tokens.
    Returns generated (sum of counts,) int32, generated_lengths (B,) int32, stop_reasons."""
    seqs = sequences(payloads, lm.facts["vocab"])
    steps = req.get("max_new_tokens", 20)
    if not isinstance(steps, int) or steps < 1:
        raise WorkerError("bad_request", '"max_new_tokens" must be an integer ≥ 1')
    eos = req.get("eos_token_ids", lm.facts["eos_token_ids"])
    if not isinstance(eos, list) or not all(isinstance(e, int) for e in eos):
        raise WorkerError("bad_request", '"eos_token_ids" must be a list of integers')
    suppress_first = bool(req.get("suppress_eos_first", True))
    batch = left_padded(seqs)
    n = len(seqs)
    generated: list[list[int]] = [[] for _ in range(n)]
    reasons: list[str | None] = [None] * n
    with torch.no_grad():
        prepared = prepare(req.get("interventions"), _float_env(payloads, lm.param_dtype), n, batch.lengths, lm.facts)
        session = Session(prepared, _columns(prepared, batch), lm.facts["head_dim"], lm.param_dtype)
        with hooked(lm.sites, session):
            out = _call(lm, batch, use_cache=True, logits_to_keep=1)
        cache = out.past_key_values
        mask = batch.attention_mask.to(lm.input_device)
        positions = torch.tensor(batch.lengths, dtype=torch.long, device=lm.input_device)
        logits = out.logits[:, -1, :].float()
        for step in range(steps):
            if step == 0 and suppress_first and eos:
                logits = logits.clone()
                logits[:, [e for e in eos if e < logits.shape[1]]] = float("-inf")
            chosen = logits.argmax(dim=-1).tolist()
            for b in range(n):
                if reasons[b] is not None:
                    continue
                if chosen[b] in eos:
                    reasons[b] = "eos"
                else:
                    generated[b].append(chosen[b])
                    if len(generated[b]) == steps:
                        reasons[b] = "max_new_tokens"
            if all(r is not None for r in reasons):
                break
            # Finished sequences keep decoding their last choice; their output is ignored.
            nxt = torch.tensor(chosen, dtype=torch.long, device=lm.input_device).unsqueeze(1)
            mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=mask.device)], dim=1)
            out = lm.model(input_ids=nxt, attention_mask=mask, position_ids=positions.unsqueeze(1),
                           past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            positions = positions + 1
            logits = out.logits[:, -1, :].float()
    listing, result = _captures(session)
    result["generated"] = np.array([t for g in generated for t in g], dtype=np.int32)
    result["generated_lengths"] = np.array([len(g) for g in generated], dtype=np.int32)
    return {"stop_reasons": reasons, "captures": listing}, result


def _prefill_prefixes(lm: LoadedModel, prefixes: list[list[int]]):
    """KV cache and (B, Tp) mask of the left-padded `prefixes`, run without grad, and the prefix
    tokens run for them; (None, None, 0) when all are empty. Identical prefixes are run once and
    their cache rows repeated (a batch of one prompt under many interventions, e.g. one head
    each, costs one prefill), and a set of distinct prefixes run by a recent call is not run
    again (`lm.prefixes`)."""
    if not any(prefixes):
        return None, None, 0
    unique: dict[tuple, int] = {}
    rows = [unique.setdefault(tuple(p), len(unique)) for p in prefixes]
    key = tuple(unique)
    kept, run = lm.prefixes.get(key), 0
    if kept is None:
        with torch.no_grad():
            pre = left_padded([list(p) for p in unique])
            out = _call(lm, pre, use_cache=True, logits_to_keep=1)
        kept = lm.prefixes.put(key, out.past_key_values, pre.attention_mask.to(lm.input_device))
        run = sum(len(p) for p in unique)
    cache, mask = copied(kept.cache), kept.mask
    if len(unique) < len(prefixes):
        index = torch.tensor(rows, dtype=torch.long, device=lm.input_device)
        cache.reorder_cache(index)
        mask = mask.index_select(0, index)
    return cache, mask, run


def _targets(payloads: dict, n: int, vocab: int) -> np.ndarray | None:
    """The (B,) int32 targets of a last-token call, or None when the request has none."""
    targets = payloads.get("targets")
    if targets is None:
        return None
    if targets.dtype.kind != "i" or targets.shape != (n,):
        raise WorkerError("shape", f'payload "targets" must be int32 of shape ({n},)')
    if n and (targets.min() < 0 or targets.max() >= vocab):
        raise WorkerError("shape", f"targets must lie in 0..<{vocab}")
    return targets


def last_token_loss_grad(req: dict, payloads: dict, lm: LoadedModel):
    """The cost model: every prompt is prefilled up to, and excluding, its last token without
    grad (identical prompts once, a recent call's prompts not again); then only the last tokens
    (B, 1) run, with the interventions (position "last" only), whose values may be built from the
    parameters named in "params" (payloads that become leaf tensors requiring grad). With
    targets (B,), loss = mean over the batch of their cross-entropy at the last position; without
    them there is no loss and no gradient. Returns loss (header and a (1,) payload), grad.<name>
    per parameter (its shape), optionally the last logits (B, V), captures, and the prefix tokens
    run (0 when every prefix was kept)."""
    seqs = sequences(payloads, lm.facts["vocab"])
    n = len(seqs)
    targets = _targets(payloads, n, lm.facts["vocab"])
    names = req.get("params", [])
    if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
        raise WorkerError("bad_request", '"params" must be a list of payload names')
    for name in names:
        if name not in payloads or payloads[name].dtype.kind != "f":
            raise WorkerError("bad_request", f"parameter {name!r} is not a float32 payload")
    want_grad = bool(req.get("grad", True)) and bool(names)
    if targets is None and want_grad:
        raise WorkerError("bad_request", 'gradients need a loss: send "targets" or "grad": false')
    for spec in req.get("interventions") or []:
        if isinstance(spec, dict) and spec.get("position", "last") != "last":
            raise WorkerError("bad_request", 'last_token_loss_grad: interventions act at position "last" only')

    cache, prefix_mask, prefix_tokens = _prefill_prefixes(lm, [s[:-1] for s in seqs])
    last = torch.tensor([[s[-1]] for s in seqs], dtype=torch.long, device=lm.input_device)
    positions = torch.tensor([[len(s) - 1] for s in seqs], dtype=torch.long, device=lm.input_device)
    ones = torch.ones((n, 1), dtype=torch.long, device=lm.input_device)
    mask = ones if prefix_mask is None else torch.cat([prefix_mask, ones], dim=1)

    params = {name: torch.from_numpy(np.array(payloads[name])).to(lm.param_dtype).requires_grad_(want_grad) for name in names}
    env = _float_env(payloads, lm.param_dtype, skip=params)
    env.update(params)
    loss, grads = None, []
    with torch.set_grad_enabled(want_grad):
        prepared = prepare(req.get("interventions"), env, n, [1] * n, lm.facts)
        one = Batch(last, ones, positions, [1] * n)
        session = Session(prepared, _columns(prepared, one), lm.facts["head_dim"], lm.param_dtype)
        with hooked(lm.sites, session):
            out = lm.model(input_ids=last, attention_mask=mask, position_ids=positions,
                           past_key_values=cache, use_cache=cache is not None, logits_to_keep=1)
        logits = out.logits[:, -1, :].to(lm.param_dtype)
        if targets is not None:
            loss = F.cross_entropy(logits, torch.from_numpy(targets.astype(np.int64)).to(logits.device))
            grads = torch.autograd.grad(loss, [params[k] for k in names]) if want_grad else []
    listing, result = _captures(session)
    fields = {"captures": listing, "prefix_tokens_run": prefix_tokens}
    for name, g in zip(names, grads):
        result[f"grad.{name}"] = g.detach().cpu().numpy()  # float64 stays float64 in-process; framing sends float32
    if req.get("return_logits"):
        result["logits"] = logits.detach().cpu().numpy()
    if loss is None:
        return {**fields, "loss": None}, result
    result["loss"] = np.array([loss.item()], dtype=np.float32)
    value = float(loss.item())
    # JSON has no NaN or infinity: a non-finite loss is null in the header (the payload has it).
    return {**fields, "loss": value if np.isfinite(value) else None}, result


def project_heads(req: dict, payloads: dict, lm: LoadedModel):
    """heads (K, H·Dh) float32 with "layers" [K] → projected (K, H, D): row h is head h's slice
    pushed through its layer's attention output projection (W_o[:, h·Dh:(h+1)·Dh] · a_h, no bias),
    computed by the projection module itself (so 4-bit and offloaded layers work). With
    "through_attention_norm": true, in a family whose layers normalise the attention output before
    adding it (Gemma 3), each row is then scaled as the norm scales the sum of the layer's rows
    (the norm linearised there), so the rows sum to what the layer's attention adds."""
    layers = req.get("layers")
    heads = payloads.get("heads")
    through_norm = req.get("through_attention_norm", False)
    h, dh = lm.facts["heads"], lm.facts["head_dim"]
    if not isinstance(layers, list) or not all(isinstance(l, int) and 0 <= l < lm.facts["layers"] for l in layers):
        raise WorkerError("bad_request", '"layers" must list layer indices')
    if heads is None or heads.dtype.kind != "f" or heads.shape != (len(layers), h * dh):
        raise WorkerError("shape", f'payload "heads" must be float32 ({len(layers)}, {h * dh})')
    if not isinstance(through_norm, bool):
        raise WorkerError("bad_request", '"through_attention_norm" must be true or false')
    out = []
    with torch.no_grad():
        for k, layer in enumerate(layers):
            proj = lm.sites.output_projections[layer]
            weight_like = next(proj.parameters())
            device = weight_like.device
            dtype = lm.model.dtype if weight_like.dtype not in (torch.float32, torch.float16, torch.bfloat16) else weight_like.dtype
            a = torch.from_numpy(np.array(heads[k], dtype=np.float32)).reshape(h, dh)
            blocks = torch.zeros(h, h, dh)
            blocks[torch.arange(h), torch.arange(h)] = a
            x = torch.cat([blocks.reshape(h, h * dh), torch.zeros(1, h * dh)]).to(device=device, dtype=dtype)
            y = proj(x).float()
            rows = y[:h] - y[h:]   # (H, D)
            norm = lm.sites.attention_output_norms[layer]
            if through_norm and norm is not None:
                # An RMS-type norm scales each coordinate of its input t: norm(t) = t ⊙ r. Each
                # head's row is scaled by the r of the whole t = Σ_h rows (where t is 0, by 0).
                total = rows.sum(dim=0, keepdim=True)
                normed = norm(total.to(dtype=dtype)).float()
                ratio = torch.where(total != 0, normed / torch.where(total != 0, total, torch.ones_like(total)), torch.zeros_like(total))
                rows = rows * ratio
            out.append(rows.cpu())
    return {}, {"projected": torch.stack(out).numpy()}
