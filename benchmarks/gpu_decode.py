"""Measure the decode step time of a Llama-style model with random weights, on whatever device
PyTorch finds (CUDA/ROCm GPU, else CPU), and write a CSV that ``kvpipe validate`` compares with
the GPU model (docs/validation.md, "Measured GPU validation").

No downloads: the model is built from its architecture numbers (default: Llama-3.1-8B's) with
random weights. A decode step is one token for each of ``batch`` sequences whose KV cache holds
``context`` tokens: per layer, RMSNorm, Q/K/V projections, the new K/V written into a
preallocated cache, attention over the whole cache (grouped-query), the O projection, RMSNorm
and the gated MLP; then the final norm and the LM head. Timed with CUDA events (or
perf_counter on CPU) after warm-up; the median of ``--repeats`` steps is written.

    python benchmarks/gpu_decode.py                      # full grid on the GPU, Llama-3.1-8B shape
    python benchmarks/gpu_decode.py --tiny --device cpu  # a seconds-long smoke test
    python benchmarks/gpu_decode.py --batches 1,8,64 --contexts 512,4096 --out validation/measured/h100.csv

Grid points whose weights + KV do not fit in device memory are skipped (and listed). Each row
is written as soon as it is measured, to ``OUT.partial``, which becomes ``OUT`` when the grid
ends: a run stopped by a time limit leaves the rows it measured (``kvpipe validate`` reads only
``*.csv``). ``--time-budget-s`` starts no new grid point past the budget and ends normally,
naming the points it left out. PyTorch is not a kvpipe dependency: run this in an environment
that has it.
"""

from __future__ import annotations

import argparse
import csv
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

COLUMNS = (
    "device", "gpu_preset", "torch_version", "dtype", "hidden_size", "intermediate_size", "num_hidden_layers",
    "num_attention_heads", "num_key_value_heads", "vocab_size", "batch", "context", "step_time_s", "tokens_per_s",
    "repeats",
)
DEFAULT_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_CONTEXTS = (512, 1024, 2048, 4096, 8192, 16384, 32768)


@dataclass(frozen=True)
class Arch:
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int = 8
    vocab_size: int = 128256

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads


LLAMA_3_1_8B = Arch()
TINY = Arch(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=100
)


def gpu_preset(device_name: str) -> str:
    d = device_name.lower().replace(" ", "")
    for hint, preset in (("h200", "h200"), ("h100", "h100-sxm"), ("b200", "b200"), ("mi300x", "mi300x")):
        if hint in d:
            return preset
    return ""


class DecodeModel:
    """Random-weight Llama decoder holding a KV cache of ``batch x context`` tokens per layer."""

    def __init__(self, torch, arch: Arch, batch: int, context: int, dtype, device) -> None:
        self.torch, self.arch, self.batch, self.context = torch, arch, batch, context
        h, i, hd = arch.hidden_size, arch.intermediate_size, arch.head_dim
        q, kv = arch.num_attention_heads * hd, arch.num_key_value_heads * hd
        g = torch.Generator(device="cpu").manual_seed(0)

        def w(*shape):
            return (torch.randn(*shape, generator=g) / math.sqrt(shape[-1])).to(device=device, dtype=dtype)

        self.layers = []
        for _ in range(arch.num_hidden_layers):
            self.layers.append({
                "ln1": torch.ones(h, device=device, dtype=dtype),
                "wqkv": w(q + 2 * kv, h),
                "wo": w(h, q),
                "ln2": torch.ones(h, device=device, dtype=dtype),
                "w_gate_up": w(2 * i, h),
                "w_down": w(h, i),
                # the cache: context tokens already there, one slot appended per step (overwritten)
                "k": torch.randn(batch, arch.num_key_value_heads, context + 1, hd, generator=g).to(device=device, dtype=dtype),
                "v": torch.randn(batch, arch.num_key_value_heads, context + 1, hd, generator=g).to(device=device, dtype=dtype),
            })
        self.ln_f = torch.ones(h, device=device, dtype=dtype)
        self.lm_head = w(arch.vocab_size, h)
        self.x = w(batch, h)

    def _norm(self, x, weight):
        var = x.float().pow(2).mean(-1, keepdim=True)
        return (x.float() * self.torch.rsqrt(var + 1e-5)).to(x.dtype) * weight

    def step(self):
        torch, a = self.torch, self.arch
        b, hd = self.batch, a.head_dim
        nq, nkv = a.num_attention_heads, a.num_key_value_heads
        x = self.x
        for L in self.layers:
            y = self._norm(x, L["ln1"])
            qkv = y @ L["wqkv"].T
            q, k, v = qkv.split([nq * hd, nkv * hd, nkv * hd], dim=-1)
            L["k"][:, :, self.context] = k.view(b, nkv, hd)
            L["v"][:, :, self.context] = v.view(b, nkv, hd)
            qh = q.view(b, nkv, nq // nkv, hd)  # grouped-query: heads sharing one KV head
            scores = torch.einsum("bgrd,bgtd->bgrt", qh, L["k"]) / math.sqrt(hd)
            att = torch.softmax(scores.float(), dim=-1).to(x.dtype)
            o = torch.einsum("bgrt,bgtd->bgrd", att, L["v"]).reshape(b, nq * hd)
            x = x + o @ L["wo"].T
            y = self._norm(x, L["ln2"])
            gate, up = (y @ L["w_gate_up"].T).chunk(2, dim=-1)
            x = x + (torch.nn.functional.silu(gate) * up) @ L["w_down"].T
        logits = self._norm(x, self.ln_f) @ self.lm_head.T
        return logits.argmax(-1)


def bytes_needed(arch: Arch, batch: int, context: int, elem: int) -> float:
    h, i, hd = arch.hidden_size, arch.intermediate_size, arch.head_dim
    q, kv = arch.num_attention_heads * hd, arch.num_key_value_heads * hd
    per_layer = h * (q + 2 * kv) + h * q + 3 * h * i
    weights = (arch.num_hidden_layers * per_layer + arch.vocab_size * h) * elem
    cache = arch.num_hidden_layers * 2 * batch * (context + 1) * kv * elem
    scores = batch * arch.num_attention_heads * (context + 1) * 4 * 2  # fp32 softmax temporaries
    return weights + cache + scores


def time_step(torch, model: DecodeModel, device, warmup: int, repeats: int) -> float:
    with torch.inference_mode():
        for _ in range(warmup):
            model.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
            times = []
            for _ in range(repeats):
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                model.step()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end) / 1e3)
        else:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                model.step()
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(args: argparse.Namespace, emit: Callable[[dict], None] = lambda row: None) -> list[dict]:
    """Measure the grid; ``emit`` gets each row as soon as it is measured."""
    import torch

    start = time.perf_counter()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    elem = {"bf16": 2, "fp16": 2, "fp32": 4}[args.dtype]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine() or "cpu")
    capacity = torch.cuda.get_device_properties(device).total_memory * 0.9 if device.type == "cuda" else float("inf")
    arch = TINY if args.tiny else LLAMA_3_1_8B
    rows: list[dict] = []
    for batch in args.batches:
        for context in args.contexts:
            if args.time_budget_s is not None and time.perf_counter() - start > args.time_budget_s:
                print(f"left out batch {batch} context {context}: past the {args.time_budget_s:g} s budget", file=sys.stderr)
                continue
            need = bytes_needed(arch, batch, context, elem)
            if need > capacity:
                print(f"skip batch {batch} context {context}: needs {need / 1e9:.1f} GB", file=sys.stderr)
                continue
            model = DecodeModel(torch, arch, batch, context, dtype, device)
            t = time_step(torch, model, device, args.warmup, args.repeats)
            del model
            if device.type == "cuda":
                torch.cuda.empty_cache()
            row = {
                "device": name, "gpu_preset": gpu_preset(name), "torch_version": torch.__version__,
                "dtype": args.dtype, **asdict(arch), "batch": batch, "context": context,
                "step_time_s": repr(t), "tokens_per_s": repr(batch / t), "repeats": args.repeats,
            }
            rows.append(row)
            emit(row)
            print(f"{name}  batch {batch:4d}  context {context:6d}  step {t * 1e3:9.3f} ms  {batch / t:10.1f} tok/s", flush=True)
    return rows


class RowWriter:
    """Rows to ``OUT.partial``, flushed one by one; :meth:`finish` renames the file to ``OUT``."""

    def __init__(self, out: Path) -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.partial = out.with_name(out.name + ".partial")
        self._fh = self.partial.open("w", newline="", encoding="utf-8")
        self._w = csv.DictWriter(self._fh, fieldnames=list(COLUMNS))
        self._w.writeheader()
        self._fh.flush()

    def __call__(self, row: dict) -> None:
        self._w.writerow({k: row[k] for k in COLUMNS})
        self._fh.flush()

    def finish(self) -> None:
        self._fh.close()
        self.partial.replace(self.out)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batches", type=_ints, default=list(DEFAULT_BATCHES), help="comma-separated batch sizes")
    ap.add_argument("--contexts", type=_ints, default=list(DEFAULT_CONTEXTS), help="comma-separated contexts")
    ap.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], default="bf16")
    ap.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    ap.add_argument("--tiny", action="store_true", help="a 2-layer, 64-wide model (smoke test on CPU)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--time-budget-s", type=float, help="start no grid point after this many seconds")
    ap.add_argument("--out", type=Path, default=Path("validation/measured/gpu_decode.csv"))
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    writer = RowWriter(args.out)
    rows = run(args, writer)
    writer.finish()
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
