"""Interventions: parsing a request's list, evaluating its value expressions, and the hooks that
apply it at the sites, with the semantics of Sources/Models/Decoder/Interventions.swift.

Shapes: B sequences; a site's rows are (B, W) with W = H·Dh at `attention-heads[l]` (the input
of layer l's attention output projection; head h is columns h·Dh ..< (h+1)·Dh) and W = D at
`residual[l]` (the output of decoder layer l). An intervention acts on ONE row per sequence.
Interventions at the same site apply in request order; a capture records the value after the
earlier ones.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from .architectures import Sites
from .errors import WorkerError

SITES = ("attention-heads", "residual")
ACTIONS = ("capture", "mixHeads", "replaceHead", "add", "replace")


@dataclass
class Prepared:
    """One intervention with its values evaluated: every tensor has B rows (float32)."""

    index: int                 # position in the request's list (names its capture payload)
    site: str
    layer: int
    position: str | list[int]  # "last" or one index per sequence into its tokens of the call
    action: str
    value: torch.Tensor | None = None    # add / replace: (B, W); replaceHead: (B, Dh); mixHeads target (B, H·Dh)
    weights: torch.Tensor | None = None  # mixHeads: (B, H)
    heads: list[int] | None = None       # replaceHead: (B,), −1 = leave that sequence alone


def evaluate(expr, env: dict[str, torch.Tensor], where: str) -> torch.Tensor:
    """Evaluates a value expression (PROTOCOL.md, "Values") over the named tensors in `env`.

    "name" → env[name]; {"ref": name, "index": [i, ...]} → env[name][i][...];
    {"gather": e, "rows": [r, ...]} → e[[r, ...]] (rows of the leading dimension, stacked);
    {"sigmoid": e} → sigmoid(e); {"weighted_sum": {"weights": w, "vectors": v}} → Σ_h w[..., h]·v[..., h, :]
    with w (..., H) and v (..., H, W) (leading dimensions broadcast); {"stack": [e, ...], "repeats": [k, ...]}
    → each part (one row) repeated k times, the blocks concatenated (Σ k, W)."""
    if isinstance(expr, str):
        if expr not in env:
            raise WorkerError("bad_request", f"{where}: no payload or parameter named {expr!r}")
        return env[expr]
    if isinstance(expr, dict) and len(expr) >= 1:
        if "ref" in expr:
            t = evaluate(expr["ref"], env, where)
            index = expr.get("index", [])
            if not isinstance(index, list) or not all(isinstance(i, int) for i in index):
                raise WorkerError("bad_request", f"{where}: \"index\" must be a list of integers")
            if len(index) > t.dim():
                raise WorkerError("shape", f"{where}: index {index} into a tensor of shape {list(t.shape)}")
            for d, i in enumerate(index):
                if not -t.shape[0] <= i < t.shape[0]:
                    raise WorkerError("shape", f"{where}: index {i} out of range in dimension {d} of {expr['ref']!r}")
                t = t[i]
            return t
        if "gather" in expr:
            t = evaluate(expr["gather"], env, where)
            rows = expr.get("rows")
            if not isinstance(rows, list) or not all(isinstance(i, int) for i in rows):
                raise WorkerError("bad_request", f"{where}: \"rows\" must be a list of integers")
            if t.dim() < 1 or not all(0 <= i < t.shape[0] for i in rows):
                raise WorkerError("shape", f"{where}: rows {rows} of a tensor of shape {list(t.shape)}")
            return t[torch.tensor(rows, dtype=torch.long, device=t.device)]
        if "sigmoid" in expr:
            return torch.sigmoid(evaluate(expr["sigmoid"], env, where))
        if "weighted_sum" in expr:
            spec = expr["weighted_sum"]
            if not isinstance(spec, dict) or "weights" not in spec or "vectors" not in spec:
                raise WorkerError("bad_request", f"{where}: weighted_sum needs \"weights\" and \"vectors\"")
            w = evaluate(spec["weights"], env, where)
            v = evaluate(spec["vectors"], env, where)
            if w.dim() < 1 or v.dim() < 2 or w.shape[-1] != v.shape[-2]:
                raise WorkerError("shape", f"{where}: weighted_sum of weights {list(w.shape)} and vectors {list(v.shape)}")
            return (w.unsqueeze(-1) * v).sum(dim=-2)
        if "stack" in expr:
            parts, repeats = expr["stack"], expr.get("repeats")
            if (not isinstance(parts, list) or not isinstance(repeats, list) or len(parts) != len(repeats) or not parts
                    or not all(isinstance(k, int) and k >= 0 for k in repeats) or not any(repeats)):
                raise WorkerError("bad_request", f"{where}: stack needs parts and as many repeats (integers ≥ 0, one > 0)")
            blocks = []
            for part, k in zip(parts, repeats):
                if k == 0:
                    continue
                t = evaluate(part, env, where)
                if not (t.dim() == 1 or (t.dim() == 2 and t.shape[0] == 1)):
                    raise WorkerError("shape", f"{where}: a stack part of shape {list(t.shape)}, expected one row")
                blocks.append(t.reshape(1, -1).expand(k, -1))
            if len({b.shape[1] for b in blocks}) != 1:
                raise WorkerError("shape", f"{where}: stack parts of widths {[b.shape[1] for b in blocks]}")
            return torch.cat(blocks)
    raise WorkerError("bad_request", f"{where}: {expr!r} is not a value expression")


def _rows(t: torch.Tensor, b: int, width: int, what: str) -> torch.Tensor:
    """t as (B, width): a (width,) vector is repeated for every sequence."""
    if t.dim() == 1 and t.shape[0] == width:
        return t.unsqueeze(0).expand(b, width)
    if t.dim() == 2 and tuple(t.shape) == (b, width):
        return t
    raise WorkerError("shape", f"{what}: shape {list(t.shape)}, expected ({b}, {width}) or ({width},)")


def prepare(specs, env: dict[str, torch.Tensor], batch: int, lengths: list[int], facts: dict) -> list[Prepared]:
    """Validates a request's "interventions" list and evaluates its values (in the current grad
    mode, so values built from parameters stay on the autograd graph)."""
    if specs is None:
        return []
    if not isinstance(specs, list):
        raise WorkerError("bad_request", '"interventions" must be a list')
    layers, heads, dh, hidden = facts["layers"], facts["heads"], facts["head_dim"], facts["hidden"]
    out = []
    for k, spec in enumerate(specs):
        where = f"intervention {k}"
        if not isinstance(spec, dict):
            raise WorkerError("bad_request", f"{where}: not an object")
        site, layer, action = spec.get("site"), spec.get("layer"), spec.get("action")
        if site not in SITES:
            raise WorkerError("bad_request", f"{where}: site {site!r} is not one of {SITES}")
        if not isinstance(layer, int) or not 0 <= layer < layers:
            raise WorkerError("bad_request", f"{where}: layer {layer!r} outside 0..<{layers}")
        if action not in ACTIONS:
            raise WorkerError("bad_request", f"{where}: action {action!r} is not one of {ACTIONS}")
        where = f"intervention {k} ({action} at {site}[{layer}])"
        position = spec.get("position", "last")
        if position != "last":
            if not isinstance(position, list) or len(position) != batch or not all(isinstance(i, int) for i in position):
                raise WorkerError("bad_request", f"{where}: position must be \"last\" or {batch} integers")
            for b, i in enumerate(position):
                if not 0 <= i < lengths[b]:
                    raise WorkerError("bad_request", f"{where}: position {i} outside the {lengths[b]} tokens of sequence {b}")
        width = heads * dh if site == "attention-heads" else hidden
        p = Prepared(index=k, site=site, layer=layer, position=position, action=action)
        if action in ("mixHeads", "replaceHead") and site != "attention-heads":
            raise WorkerError("bad_request", f"{where}: {action} acts only at attention-heads")
        if action == "mixHeads":
            p.value = _rows(evaluate(spec.get("target"), env, where + " target"), batch, width, where + " target")
            p.weights = _rows(evaluate(spec.get("weights"), env, where + " weights"), batch, heads, where + " weights")
        elif action == "replaceHead":
            chosen = spec.get("heads")
            if not isinstance(chosen, list) or len(chosen) != batch or not all(isinstance(h, int) and -1 <= h < heads for h in chosen):
                raise WorkerError("bad_request", f"{where}: heads must be {batch} integers in -1..<{heads}")
            p.heads = chosen
            p.value = _rows(evaluate(spec.get("value"), env, where + " value"), batch, dh, where + " value")
        elif action in ("add", "replace"):
            p.value = _rows(evaluate(spec.get("value"), env, where + " value"), batch, width, where + " value")
        out.append(p)
    return out


def apply_action(p: Prepared, rows: torch.Tensor, head_dim: int) -> torch.Tensor:
    """The new value of `rows` (B, W) under p's action (capture: unchanged), in rows' dtype."""
    value = p.value.to(rows.device, rows.dtype) if p.value is not None else None
    if p.action == "capture":
        return rows
    if p.action == "add":
        return rows + value
    if p.action == "replace":
        return value
    b, width = rows.shape
    per_head = rows.reshape(b, width // head_dim, head_dim)  # (B, H, Dh)
    if p.action == "mixHeads":
        w = p.weights.to(rows.device, rows.dtype).unsqueeze(-1)            # (B, H, 1)
        target = value.reshape(b, width // head_dim, head_dim)
        return ((1 - w) * per_head + w * target).reshape(b, width)
    # replaceHead
    chosen = [(i, h) for i, h in enumerate(p.heads) if h >= 0]
    if not chosen:
        return rows
    bi = torch.tensor([i for i, _ in chosen], device=rows.device)
    hi = torch.tensor([h for _, h in chosen], device=rows.device)
    return per_head.index_put((bi, hi), value[bi]).reshape(b, width)


@dataclass
class Session:
    """Hooks of one model call: which column of the call's (B, T, W) activations each
    intervention touches, and what the captures recorded ((B, W) float32, by intervention index)."""

    prepared: list[Prepared]
    columns: list[torch.Tensor]      # per intervention: (B,) column index into T
    head_dim: int
    compute_dtype: torch.dtype = torch.float32  # the site's rows are cast to it for the arithmetic
    captures: dict[int, torch.Tensor] = field(default_factory=dict)

    def intervene(self, site: str, layer: int, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, W) → x with this site's interventions applied, in request order."""
        batch = torch.arange(x.shape[0], device=x.device)
        for p, cols in zip(self.prepared, self.columns):
            if p.site != site or p.layer != layer:
                continue
            cols = cols.to(x.device)
            rows = x[batch, cols].to(self.compute_dtype)
            if p.action == "capture":
                self.captures[p.index] = rows.detach().float().cpu()
                continue
            new = apply_action(p, rows, self.head_dim)
            x = x.index_put((batch, cols), new.to(x.dtype))
        return x


@contextmanager
def hooked(sites: Sites, session: Session):
    """Registers the hooks `session` needs on the model's modules; removes them on exit."""
    handles = []
    layers = sorted({(p.site, p.layer) for p in session.prepared})
    try:
        for site, layer in layers:
            if site == "attention-heads":
                def pre_hook(module, args, kwargs, layer=layer):
                    return (session.intervene("attention-heads", layer, args[0]),) + tuple(args[1:]), kwargs
                handles.append(sites.output_projections[layer].register_forward_pre_hook(pre_hook, with_kwargs=True))
            else:
                def hook(module, args, output, layer=layer):
                    if isinstance(output, tuple):
                        return (session.intervene("residual", layer, output[0]),) + tuple(output[1:])
                    return session.intervene("residual", layer, output)
                handles.append(sites.decoder_layers[layer].register_forward_hook(hook))
        yield session
    finally:
        for h in handles:
            h.remove()
