"""Benchmark the generation and likelihood engines against the per-prompt / per-sentence loops of the papers' code.

Run from the repository root:  python benchmarks/bench_engines.py [--quick] [--readme] [--models small,large]
Writes benchmarks/results.json; with --readme also rewrites the results table in benchmarks/README.md.
Every system is timed `--repeats` times, interleaved (loop, batched, engine, loop, ...), and the median is
reported, so a burst of load from another process hits every system alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "si", "ve", "du", "ga", "bi", "zo", "fe", "ho", "ja",
             "qu", "wy", "xe", "tri", "ska", "plo", "dre", "ung", "ist", "mar", "pel", "sor", "vin", "tum"]
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"
K, NEW_TOKENS, TOP_P = 25, 20, 0.9
BATCHED_PROMPTS = 8  # prompts per `generate` call in the batched baseline (x 25 return sequences)
TARGETS = {"vs_loop": 5.0, "vs_batched_generate": 2.5, "matmul_share": 0.40, "likelihood_vs_loop": 5.0}


@dataclass(frozen=True)
class ModelShape:
    """A GPT-2 built for the benchmark."""

    n_layer: int
    n_embd: int
    n_head: int
    n_positions: int
    vocab_size: int
    note: str


MODELS = {
    "study": ModelShape(4, 128, 4, 128, 2000, "the default profile's model"),
    "small": ModelShape(4, 256, 4, 128, 8000, "the issue's 5M model"),
    "large": ModelShape(7, 448, 7, 128, 8000, "a 20M model"),
}


def pseudo_sentences(count: int, seed: int) -> list[str]:
    """Sentences of made-up words with a skewed word distribution (a BPE of ~8k merges needs variety)."""
    rng = random.Random(seed)
    lexicon = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(6000)]
    weights = [1.0 / (rank + 1) for rank in range(len(lexicon))]  # Zipf-like, so a short fit learns something
    return [" ".join(rng.choices(lexicon, weights, k=rng.randint(10, 24))) + "." for _ in range(count)]


@lru_cache(maxsize=4)
def _tokenizer_and_texts(vocab_size: int, seed: int):
    from helpers.tokenizer import train_bpe_tokenizer

    texts = pseudo_sentences(30000, seed)
    return train_bpe_tokenizer(texts, vocab_size=vocab_size), texts


def build(shape: ModelShape, seed: int = 0, train_steps: int = 40):
    """Tokenizer, GPT-2 of `shape` briefly fitted so that it emits EOS, and the texts."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer, texts = _tokenizer_and_texts(shape.vocab_size, seed)
    config = GPT2Config(n_layer=shape.n_layer, n_embd=shape.n_embd, n_head=shape.n_head,
                        n_positions=shape.n_positions, vocab_size=len(tokenizer),
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    if train_steps:
        # a short fit makes next-token distributions peaked and EOS likely, as in the study's models
        eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
        rng = random.Random(seed)
        model.train()
        for _ in range(train_steps):
            batch = [[eos, *tokenizer(t)["input_ids"], eos] for t in rng.sample(texts, 32)]
            width = max(map(len, batch))
            ids = torch.tensor([b + [pad] * (width - len(b)) for b in batch])
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            labels = torch.tensor([b + [-100] * (width - len(b)) for b in batch])
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return tokenizer, model.eval(), texts


def count_parameters(model) -> int:
    """Distinct parameters (tied embeddings once)."""
    return sum({p.data_ptr(): p.numel() for p in model.parameters()}.values())


def flop_parameters(model) -> int:
    """Parameters that take part in a matrix product per token: all but the position embeddings."""
    positions = getattr(getattr(model, "transformer", None), "wpe", None)
    return count_parameters(model) - (positions.weight.numel() if positions is not None else 0)


def _strip_eos(rows: list[list[int]], eos: int) -> list[list[int]]:
    return [row[:row.index(eos)] if eos in row else row for row in rows]


def baseline_generate(model, tokenizer, prompts: list[str], k: int, new_tokens: int,
                      do_sample: bool) -> list[list[int]]:
    """The papers' loop: one `generate` call per prompt with num_return_sequences=k; token ids before EOS."""
    import torch

    eos = tokenizer.eos_token_id
    results = []
    with torch.inference_mode():
        for prompt in prompts:
            ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(prompt)["input_ids"]]])
            extra = {"top_p": TOP_P, "top_k": 0} if do_sample else {}
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=do_sample,
                                 max_new_tokens=new_tokens, num_return_sequences=k,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=eos, **extra)
            results.extend(_strip_eos(out[:, ids.shape[1]:].tolist(), eos))
    return results


def batched_generate(model, tokenizer, prompts: list[str], k: int, new_tokens: int,
                     per_call: int = BATCHED_PROMPTS) -> list[list[int]]:
    """`generate` over `per_call` left-padded prompts x k return sequences per call; token ids before EOS."""
    import torch

    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    results = []
    with torch.inference_mode():
        for start in range(0, len(prompts), per_call):
            encoded = [[tokenizer.bos_token_id, *tokenizer(p)["input_ids"]] for p in prompts[start:start + per_call]]
            width = max(map(len, encoded))
            ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded])
            mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded])
            out = model.generate(ids, attention_mask=mask, do_sample=True, top_p=TOP_P, top_k=0,
                                 max_new_tokens=new_tokens, num_return_sequences=k, pad_token_id=pad,
                                 eos_token_id=eos)
            results.extend(_strip_eos(out[:, width:].tolist(), eos))
    return results


def baseline_logprobs(model, tokenizer, texts: list[str]) -> list[float]:
    """One sentence per forward pass: summed log p(token | BOS, previous tokens), float64 log-softmax."""
    import torch

    sums = []
    with torch.inference_mode():
        for text in texts:
            ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(text)["input_ids"]]])
            logprobs = torch.log_softmax(model(ids).logits[0, :-1].double(), dim=-1)
            sums.append(float(logprobs.gather(1, ids[0, 1:, None]).sum()))
    return sums


def matmul_rate(sizes=(512, 1024, 2048), repeats: int = 7) -> dict:
    """Median fp32 GFLOP/s of square matrix products per size; `best` is the machine's rate we compare with."""
    import torch

    rates = {}
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            torch.mm(a, b)
            times.append(time.perf_counter() - started)
        rates[str(n)] = 2 * n ** 3 / statistics.median(times) / 1e9
    return {"gflops_by_size": rates, "best_gflops": max(rates.values())}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def mean_and_se(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) / len(values) ** 0.5


def drawn_tokens(lengths: list[int], new_tokens: int) -> int:
    """Tokens each row drew, the EOS that ended it included (each needed a forward step)."""
    return sum(n + (n < new_tokens) for n in lengths)


def bench_model(name: str, args: argparse.Namespace) -> dict:
    """Every measurement for one model shape."""
    from helpers.engines.generation import DecodingConfig, auto_batch_size, generate_continuations
    from helpers.engines.likelihood import sequence_logprobs

    shape = MODELS[name]
    tokenizer, model, texts = build(shape, args.seed, args.train_steps)
    rng = random.Random(args.seed + 1)
    prompts = [" ".join(t.split()[:rng.randint(3, 8)]) for t in rng.sample(texts, args.prompts)]
    config = DecodingConfig(num_samples=K, max_new_tokens=NEW_TOKENS, top_p=TOP_P, top_k=0, temperature=1.0)
    sentences = texts[:args.sentences]

    # warm-up: first calls pay for lazy initialisation
    baseline_generate(model, tokenizer, prompts[:1], 2, 2, True)
    batched_generate(model, tokenizer, prompts[:2], 2, 2)
    generate_continuations(model, tokenizer, prompts[:2], DecodingConfig(2, 2), seed=0)
    sequence_logprobs(model, tokenizer, sentences[:8])

    times: dict[str, list[float]] = {s: [] for s in ("loop", "batched", "engine", "ll_loop", "ll_engine")}
    for _ in range(args.repeats):
        base_ids, seconds = timed(baseline_generate, model, tokenizer, prompts, K, NEW_TOKENS, True)
        times["loop"].append(seconds)
        batched_ids, seconds = timed(batched_generate, model, tokenizer, prompts, K, NEW_TOKENS)
        times["batched"].append(seconds)
        ours, seconds = timed(generate_continuations, model, tokenizer, prompts, config, seed=args.seed)
        times["engine"].append(seconds)
        base_ll, seconds = timed(baseline_logprobs, model, tokenizer, sentences)
        times["ll_loop"].append(seconds)
        ours_ll, seconds = timed(sequence_logprobs, model, tokenizer, sentences)
        times["ll_engine"].append(seconds)
    median = {s: statistics.median(v) for s, v in times.items()}

    narrow, narrow_s = timed(generate_continuations, model, tokenizer, prompts, config, seed=args.seed, batch_size=64)
    assert narrow.equals(ours), f"{name}: the engine's output changed with the batch size"
    n_gen = len(prompts) * K
    base_lengths, ours_lengths = [len(ids) for ids in base_ids], ours["n_new_tokens"].tolist()
    (base_mean, base_se), (ours_mean, ours_se) = mean_and_se(base_lengths), mean_and_se(ours_lengths)
    z = (ours_mean - base_mean) / max((base_se ** 2 + ours_se ** 2) ** 0.5, 1e-12)

    greedy = DecodingConfig(num_samples=1, max_new_tokens=NEW_TOKENS, do_sample=False)
    greedy_base = tokenizer.batch_decode(baseline_generate(model, tokenizer, prompts, 1, NEW_TOKENS, False),
                                         skip_special_tokens=True)
    greedy_ours = generate_continuations(model, tokenizer, prompts, greedy, seed=0)["continuation"].tolist()
    greedy_same = sum(a == b for a, b in zip(greedy_base, greedy_ours))
    assert greedy_same == len(prompts), (f"{name}: greedy output differs from generate on "
                                         f"{len(prompts) - greedy_same} prompts")
    max_diff = max(abs(a - b) for a, b in zip(base_ll, ours_ll["sum_logprob"]))
    # float32 sums of tens of log-probabilities, batched and padded differently: agreement to float32 round-off
    max_rel = max(abs(a - b) / max(1.0, abs(a)) for a, b in zip(base_ll, ours_ll["sum_logprob"]))
    assert max_rel < 1e-6, f"{name}: log-likelihoods differ from the per-sentence loop by {max_rel:.2e} (relative)"

    flops_per_token = 2 * flop_parameters(model)
    engine_tokens = drawn_tokens(ours_lengths, NEW_TOKENS)
    return {
        "shape": asdict(shape), "parameters": count_parameters(model), "flop_parameters": flop_parameters(model),
        "generation": {
            "protocol": config.caption(), "prompts": len(prompts), "generations": n_gen,
            "engine_batch_size": auto_batch_size(model, max(len(tokenizer(p)["input_ids"]) for p in prompts) + 1
                                                 + NEW_TOKENS),
            "seconds": {s: times[s] for s in ("loop", "batched", "engine")},
            "median_seconds": {s: median[s] for s in ("loop", "batched", "engine")},
            "generations_per_s": {s: n_gen / median[s] for s in ("loop", "batched", "engine")},
            "engine_batch_64_generations_per_s": n_gen / narrow_s,
            "speedup_vs_loop": median["loop"] / median["engine"],
            "speedup_vs_batched_generate": median["batched"] / median["engine"],
            "engine_tokens": engine_tokens,
            "engine_gflops": flops_per_token * engine_tokens / median["engine"] / 1e9,
            "mean_new_tokens": {"loop": [base_mean, base_se], "engine": [ours_mean, ours_se], "z": z},
            "share_stopped_at_eos": {"loop": sum(n < NEW_TOKENS for n in base_lengths) / n_gen,
                                     "batched": sum(len(ids) < NEW_TOKENS for ids in batched_ids) / n_gen,
                                     "engine": sum(n < NEW_TOKENS for n in ours_lengths) / n_gen},
            "greedy_identical": f"{greedy_same}/{len(prompts)}",
            "batch_size_independent": True,
        },
        "likelihood": {
            "sentences": len(sentences), "tokens": int(ours_ll["n_tokens"].sum()),
            "seconds": {"loop": times["ll_loop"], "engine": times["ll_engine"]},
            "sentences_per_s": {"loop": len(sentences) / median["ll_loop"],
                                "engine": len(sentences) / median["ll_engine"]},
            "speedup_vs_loop": median["ll_loop"] / median["ll_engine"], "max_abs_difference": max_diff,
            "max_relative_difference": max_rel,
        },
    }


def run(args: argparse.Namespace) -> dict:
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the baseline loop's padding advice is noise here
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rate_before = matmul_rate()
    models = {}
    for name in args.models:
        print(f"benchmarking {name} ...", file=sys.stderr, flush=True)
        models[name] = bench_model(name, args)
    rate_after = matmul_rate()
    machine_rate = statistics.fmean([rate_before["best_gflops"], rate_after["best_gflops"]])
    for result in models.values():
        gen = result["generation"]
        gen["matmul_share"] = gen["engine_gflops"] / machine_rate
        result["targets_met"] = {
            "vs_loop": gen["speedup_vs_loop"] >= TARGETS["vs_loop"],
            "vs_batched_generate": gen["speedup_vs_batched_generate"] >= TARGETS["vs_batched_generate"],
            "matmul_share": gen["matmul_share"] >= TARGETS["matmul_share"],
            "likelihood_vs_loop": result["likelihood"]["speedup_vs_loop"] >= TARGETS["likelihood_vs_loop"],
        }
    return {
        "quick": args.quick, "repeats": args.repeats, "seconds": time.perf_counter() - started,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                    "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
                    "matmul_fp32": {"before": rate_before, "after": rate_after, "gflops": machine_rate}},
        "targets": TARGETS, "models": models,
    }


def markdown_table(results: dict) -> str:
    """The headline figures as markdown tables (generation, then log-likelihood)."""
    rate = results["machine"]["matmul_fp32"]["gflops"]
    lines = [
        f"| model | papers' loop | batched `generate` | engine (batch) | vs loop | vs batched | engine GFLOP/s "
        f"(share of {rate:.0f}) | checks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results["models"].items():
        gen = result["generation"]
        per_s, z = gen["generations_per_s"], gen["mean_new_tokens"]
        lines.append(
            f"| {name}, {result['parameters'] / 1e6:.1f}M | {per_s['loop']:.1f} gen/s | {per_s['batched']:.1f} gen/s "
            f"| {per_s['engine']:.1f} gen/s ({gen['engine_batch_size']}) | {gen['speedup_vs_loop']:.1f}x "
            f"| {gen['speedup_vs_batched_generate']:.1f}x "
            f"| {gen['engine_gflops']:.1f} ({100 * gen['matmul_share']:.0f}%) "
            f"| mean new tokens {z['loop'][0]:.2f} vs {z['engine'][0]:.2f} (z = {z['z']:.1f}); "
            f"greedy identical {gen['greedy_identical']} |")
    lines += ["", "| model | per-sentence loop | engine | speed-up | max abs difference |", "|---|---|---|---|---|"]
    for name, result in results["models"].items():
        ll = result["likelihood"]
        lines.append(f"| {name}, {result['parameters'] / 1e6:.1f}M, {ll['sentences']} sentences "
                     f"| {ll['sentences_per_s']['loop']:.0f} sent/s | {ll['sentences_per_s']['engine']:.0f} sent/s "
                     f"| {ll['speedup_vs_loop']:.1f}x | {ll['max_abs_difference']:.1e} |")
    machine = results["machine"]
    load = machine["load_average_1min"]
    any_model = next(iter(results["models"].values()))["generation"]
    note = (f"\nGeneration: {any_model['prompts']} prompts x {K} samples x {NEW_TOKENS} tokens, top-p {TOP_P}, "
            f"top_k 0; "
            f"batched `generate` takes {BATCHED_PROMPTS} left-padded prompts per call. GFLOP/s = 2 x parameters "
            f"(position embeddings excluded) x tokens drawn / s, against the median fp32 matrix-product rate "
            f"measured before and after ({rate:.0f} GFLOP/s). Medians of {results['repeats']} interleaved repeats; "
            f"{machine['torch_threads']} torch threads, {machine['cpu_count']} CPUs, load average "
            f"{load['before']:.1f} before and {load['after']:.1f} after{', --quick' if results['quick'] else ''}.")
    return "\n".join(lines) + "\n" + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few prompts and sentences, one repeat (about a minute)")
    parser.add_argument("--models", default="study,small,large", help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of every system (the median is reported)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-steps", type=int, default=40)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--readme", action="store_true", help="rewrite the results table in benchmarks/README.md")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {', '.join(MODELS)}")
    args.prompts, args.sentences = (8, 200) if args.quick else (32, 1000)
    if args.quick:
        args.repeats = 1

    from helpers import io

    results = run(args)
    io.write_json(args.out, results)
    table = markdown_table(results)
    print(table)
    for name, result in results["models"].items():
        missed = [target for target, met in result["targets_met"].items() if not met]
        if missed:
            print(f"{name}: below target on {', '.join(missed)} (targets: {TARGETS})")
    if args.readme:
        readme = HERE / "README.md"
        text = readme.read_text()
        pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
        io.write_text(readme, pattern.sub(lambda _: f"{TABLE_START}\n{table}\n{TABLE_END}", text))


if __name__ == "__main__":
    main()
