"""Training-step benchmark: DeepseekCoderForCausalLM's fast path vs transformers' LlamaForCausalLM
(goal: at least Llama's tokens/s and no further from an fp32 reference; the report trains with FlashAttention-2, §3.3).

One run on one GPU (under 5 minutes on an H100):

1. builds both models at DeepSeek-Coder-1.3B's shape (hidden 2048, 24 layers, 16 heads, intermediate 5504, vocab
   32256) from the same weights;
2. checks correctness: the bf16 losses of Llama (sdpa) and ours (fast path) on the same batch agree, and both
   models' bf16 gradients are compared with an fp32 reference (ours must be no further from it than Llama);
3. times a training step (forward, backward, fused AdamW) at batch 4 x 4096, on plain rows and on packed rows of
   variable-length documents (position ids restarting per document, labels masked at document starts), and prints
   tokens/s, MFU against a bf16 matmul measured in the same run, peak memory and the ratios ours/Llama.

``--smoke`` runs the same code on CPU at a tiny shape in float32 (seconds), so the script can be checked without
a GPU.
Exit status: 0 when the correctness checks pass (speed goals are reported, not enforced), 1 otherwise.

    python bench/gpu_train.py                # H100: the issue's numbers
    python bench/gpu_train.py --smoke        # CPU check of the script itself
    python bench/gpu_train.py --compile      # also time the fast path with torch.compile'd decoder layers
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout without installing

# torch and the model are imported by main(), after the arguments: `--help` answers at once
torch = DeepseekCoderForCausalLM = enable_fast_path = preset_config = llama_config_dict = None


def _import_heavy() -> None:
    global torch, DeepseekCoderForCausalLM, enable_fast_path, preset_config, llama_config_dict
    import torch

    import dscoder  # noqa: F401  (registers the model)
    from dscoder.modeling import DeepseekCoderForCausalLM, enable_fast_path, preset_config
    from dscoder.modeling.conversion import llama_config_dict

LOSS_TOLERANCE_BF16 = 0.02  # |loss_ours - loss_llama| in nats, both bf16, same weights and batch
GRAD_SLACK = 1.5  # ours' gradient error vs fp32 may be at most this times Llama's (+ GRAD_FLOOR)
GRAD_FLOOR = 1e-3


@dataclass
class Result:
    variant: str
    batch: str
    tokens_per_s: float
    mfu: float
    peak_gib: float
    loss: float
    seconds_per_step: float


# ------------------------------------------------------------------------------------------------- batches
def make_batch(kind: str, batch: int, seq: int, vocab: int, device: str, seed: int) -> dict:
    """``plain`` rows, or ``packed`` rows of variable-length documents (docs/design.md: position ids restart)."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(0, vocab, (batch, seq), generator=g)
    labels = input_ids.clone()
    out = {"input_ids": input_ids, "labels": labels, "doc_lengths": [[seq]] * batch}
    if kind == "packed":
        positions, lengths = [], []
        for _ in range(batch):
            row, filled = [], 0
            while filled < seq:  # log-uniform document lengths between 32 and seq tokens
                n = int(math.exp(torch.empty(1).uniform_(math.log(32), math.log(seq), generator=g).item()))
                n = min(max(n, 1), seq - filled)
                row.append(n)
                filled += n
            lengths.append(row)
            positions.append(torch.cat([torch.arange(n) for n in row]))
        position_ids = torch.stack(positions)
        labels[position_ids == 0] = -100  # a document's first token is not predicted from the previous document
        out.update(position_ids=position_ids, doc_lengths=lengths)
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in out.items()}


def model_inputs(batch: dict) -> dict:
    return {k: v for k, v in batch.items() if k in ("input_ids", "labels", "position_ids")}


# ------------------------------------------------------------------------------------------------- FLOPs
def matmul_parameters(config) -> int:
    """Parameters taking part in matmuls (all but the input embedding lookup and the norms)."""
    h, i, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    kv = config.num_key_value_heads * config.head_dim
    per_layer = 2 * h * config.num_attention_heads * config.head_dim + 2 * h * kv + 3 * h * i
    return layers * per_layer + config.vocab_size * h


def step_flops(config, doc_lengths: list[list[int]]) -> float:
    """Training FLOPs of one step: 6 per matmul parameter per token, plus causal attention 6*L*d*sum(n^2)."""
    tokens = sum(sum(row) for row in doc_lengths)
    attention = (
        6
        * config.num_hidden_layers
        * config.num_attention_heads
        * config.head_dim
        * sum(n * n for row in doc_lengths for n in row)
    )
    return 6 * matmul_parameters(config) * tokens + attention


def measure_matmul_flops(device: str, dtype: torch.dtype, size: int, repeats: int) -> float:
    """Achieved FLOP/s of a square matmul in ``dtype`` (the MFU denominator, measured in this run)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------- models
def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def free(device: str) -> None:
    if device == "cuda":  # on CPU the allocator returns memory by itself; gc.collect() only costs time there
        gc.collect()
        torch.cuda.empty_cache()


def build(kind: str, config, llama_config, state: dict, device: str, dtype: torch.dtype, compile_layers=False):
    """A fresh model of ``kind`` (llama / llama_liger / ours / ours_fast) with ``state`` as its weights."""
    from transformers import LlamaForCausalLM

    with torch.device(device):
        if kind.startswith("llama"):
            model = LlamaForCausalLM._from_config(llama_config, attn_implementation="sdpa", dtype=dtype)
        else:
            model = DeepseekCoderForCausalLM._from_config(config, attn_implementation="sdpa", dtype=dtype)
    model.load_state_dict(state)
    model.train()
    report = None
    if kind == "llama_liger":
        from liger_kernel.transformers import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model)
    elif kind == "ours_fast":
        report = enable_fast_path(model, attention="varlen", compile=compile_layers)
    return model, report


def loss_and_grads(model, batch: dict) -> tuple[float, dict]:
    model.zero_grad(set_to_none=True)
    loss = model(**model_inputs(batch), use_cache=False).loss
    loss.backward()
    grads = {n: p.grad.detach().float() for n, p in model.named_parameters() if p.grad is not None}
    return loss.item(), grads


def grad_error(grads: dict, reference: dict) -> float:
    """Relative L2 distance of all gradients from the reference's."""
    num = sum((grads[n] - reference[n]).pow(2).sum().item() for n in reference)
    den = sum(reference[n].pow(2).sum().item() for n in reference)
    return math.sqrt(num / den)


def check_correctness(config, llama_config, state, device, dtype, seq: int) -> tuple[dict, bool]:
    """bf16 losses of Llama and ours agree; both bf16 gradient sets compared with an fp32 reference."""
    checks = {}
    for kind in ("plain", "packed"):
        batch = make_batch(kind, 1, seq, config.vocab_size, device, seed=11)
        reference, _ = build("ours", config, llama_config, state, device, torch.float32)
        ref_loss, ref_grads = loss_and_grads(reference, batch)
        del reference
        free(device)
        row = {"fp32_loss": ref_loss}
        for name in ("llama", "ours_fast"):
            model, _ = build(name, config, llama_config, state, device, dtype)
            loss, grads = loss_and_grads(model, batch)
            del model
            row[f"{name}_loss"] = loss
            row[f"{name}_grad_err"] = grad_error(grads, ref_grads)
            del grads
            free(device)
        del ref_grads
        free(device)
        row["loss_ok"] = abs(row["llama_loss"] - row["ours_fast_loss"]) <= LOSS_TOLERANCE_BF16
        row["grad_ok"] = row["ours_fast_grad_err"] <= GRAD_SLACK * row["llama_grad_err"] + GRAD_FLOOR
        checks[kind] = row
    return checks, all(r["loss_ok"] and r["grad_ok"] for r in checks.values())


def time_variant(kind, config, llama_config, state, device, dtype, batch, steps, warmup, peak_flops, compile_layers):
    model, report = build(kind, config, llama_config, state, device, dtype, compile_layers)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.1, fused=device == "cuda")
    inputs = model_inputs(batch)
    first_loss = None

    def step():
        loss = model(**inputs, use_cache=False).loss
        loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        return loss

    for i in range(warmup):
        loss = step()
        if i == 0:
            first_loss = loss.item()  # same weights and batch for every variant: comparable
    sync(device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    elapsed = (time.perf_counter() - start) / steps
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
    tokens = batch["input_ids"].numel()
    flops = step_flops(config, batch["doc_lengths"]) / elapsed
    return Result(
        kind + ("+compile" if compile_layers else ""),
        "",
        tokens / elapsed,
        flops / peak_flops,
        peak,
        first_loss,
        elapsed,
    ), report


# ------------------------------------------------------------------------------------------------- main
def _fmt(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)  # peak memory is only measured on CUDA


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="CPU, tiny shape: checks the script, not the speed")
    p.add_argument("--batch", type=int, default=None, help="sequences per step (default 4; smoke 2)")
    p.add_argument("--seq", type=int, default=None, help="tokens per sequence (default 4096; smoke 128)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per variant (default 8; smoke 2)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3; smoke 1)")
    p.add_argument("--check-seq", type=int, default=None, help="sequence length of the correctness check")
    p.add_argument("--compile", action="store_true", help="also time the fast path with compiled decoder layers")
    p.add_argument("--json", type=Path, default=None, help="write all numbers to this JSON file")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    _import_heavy()
    from rich.console import Console
    from rich.table import Table
    from transformers import LlamaConfig

    console = Console(width=max(Console().width, 120))
    if args.smoke:
        device, dtype = "cpu", torch.float32  # CPU bf16 matmuls are emulated (slow) on most CPUs
        config = preset_config("tiny", vocab_size=2048)
        batch_size, seq, steps, warmup, check_seq = 2, 128, 2, 1, 64
        peak_flops = measure_matmul_flops(device, torch.float32, 512, 5)
        peak_label = "fp32 matmul (CPU)"
    else:
        if not torch.cuda.is_available():
            console.print("[red]no CUDA device: run with --smoke to check the script on CPU[/red]")
            return 2
        device, dtype = "cuda", torch.bfloat16
        config = preset_config("deepseek-coder-1.3b")
        batch_size, seq, steps, warmup, check_seq = 4, 4096, 8, 3, 1024
        peak_flops = measure_matmul_flops(device, dtype, 8192, 50)
        peak_label = f"bf16 matmul 8192^3 ({torch.cuda.get_device_name()})"
    batch_size = args.batch or batch_size
    seq = args.seq or seq
    steps = args.steps or steps
    warmup = args.warmup or warmup
    check_seq = args.check_seq or check_seq
    llama_config = LlamaConfig.from_dict(llama_config_dict(config))
    started = time.perf_counter()

    torch.manual_seed(0)
    with torch.device(device):
        source = DeepseekCoderForCausalLM._from_config(config, dtype=torch.float32)
    state = {k: v.detach().to("cpu") for k, v in source.state_dict().items()}
    del source
    free(device)

    checks, ok = check_correctness(config, llama_config, state, device, dtype, check_seq)
    kinds = ["llama", "ours_fast"]
    try:
        import liger_kernel  # noqa: F401

        if device == "cuda":
            kinds.insert(1, "llama_liger")
    except ImportError:
        pass
    variants = [(kind, False) for kind in kinds] + ([("ours_fast", True)] if args.compile else [])
    results, report = [], None
    for batch_kind in ("plain", "packed"):
        batch = make_batch(batch_kind, batch_size, seq, config.vocab_size, device, seed=5)
        for kind, compile_layers in variants:
            try:
                result, rep = time_variant(
                    kind, config, llama_config, state, device, dtype, batch, steps, warmup, peak_flops, compile_layers
                )
            except Exception as exc:
                if kind != "llama_liger":
                    raise
                console.print(f"[yellow]skipped {kind} on {batch_kind} rows: {type(exc).__name__}: {exc}[/yellow]")
                free(device)
                continue
            free(device)  # the model and optimizer of the variant went out of scope with time_variant
            result.batch = batch_kind
            results.append(result)
            report = rep or report
        del batch
        free(device)

    table = Table(
        title=f"training step, {batch_size} x {seq} tokens, {dtype} (peak: {peak_label}, "
        f"{peak_flops / 1e12:.1f} TFLOP/s)"
    )
    for col in ("variant", "batch", "tokens/s", "MFU", "peak GiB", "first loss", "x Llama tok/s", "x Llama mem"):
        table.add_column(col, justify="right" if col not in ("variant", "batch") else "left")
    base = {r.batch: r for r in results if r.variant == "llama"}
    for r in results:
        b = base[r.batch]
        table.add_row(
            r.variant,
            r.batch,
            f"{r.tokens_per_s:,.0f}",
            f"{100 * r.mfu:.1f}%",
            _fmt(r.peak_gib, ".1f"),
            f"{r.loss:.4f}",
            f"{r.tokens_per_s / b.tokens_per_s:.2f}",
            _fmt(r.peak_gib / b.peak_gib, ".2f"),
        )
    console.print(table)

    check_table = Table(title="correctness (1 sequence; grad err = relative L2 distance from the fp32 reference)")
    for col in ("batch", "fp32 loss", "Llama bf16 loss", "ours bf16 loss", "Llama grad err", "ours grad err", "ok"):
        check_table.add_column(col)
    for kind, row in checks.items():
        check_table.add_row(
            kind,
            f"{row['fp32_loss']:.4f}",
            f"{row['llama_loss']:.4f}",
            f"{row['ours_fast_loss']:.4f}",
            f"{row['llama_grad_err']:.2e}",
            f"{row['ours_fast_grad_err']:.2e}",
            "yes" if row["loss_ok"] and row["grad_ok"] else "NO",
        )
    console.print(check_table)

    fast = {r.batch: r for r in results if r.variant == "ours_fast"}
    goals = {
        "tokens/s ours/Llama >= 1.5 (plain)": fast["plain"].tokens_per_s / base["plain"].tokens_per_s,
        "peak memory ours/Llama <= 0.7 (plain)": fast["plain"].peak_gib / base["plain"].peak_gib,
        "packed tokens/s within 5% of plain (ours)": fast["packed"].tokens_per_s / fast["plain"].tokens_per_s,
    }
    for goal, value in goals.items():
        console.print(f"{goal}: {value:.3f}")
    console.print(f"fast path: {report.as_dict() if report else '-'}")
    console.print(f"correctness: {'PASS' if ok else 'FAIL'}; total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "device": peak_label,
                    "peak_flops": peak_flops,
                    "batch": batch_size,
                    "seq": seq,
                    "results": [asdict(r) for r in results],
                    "checks": checks,
                    "goals": goals,
                    "fast_path": report.as_dict() if report else None,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
