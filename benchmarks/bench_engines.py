"""Benchmark the generation and likelihood engines against the per-prompt / per-sentence loops of the papers' code.

Run from the repository root:  python benchmarks/bench_engines.py [--quick] [--readme]
Writes benchmarks/results.json; with --readme also rewrites the results table in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "si", "ve", "du", "ga", "bi", "zo", "fe", "ho", "ja",
             "qu", "wy", "xe", "tri", "ska", "plo", "dre", "ung", "ist", "mar", "pel", "sor", "vin", "tum"]
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"


def pseudo_sentences(count: int, seed: int) -> list[str]:
    """Sentences of made-up words with a skewed word distribution (a BPE of ~8k merges needs variety)."""
    rng = random.Random(seed)
    lexicon = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(6000)]
    weights = [1.0 / (rank + 1) for rank in range(len(lexicon))]  # Zipf-like, so a short fit learns something
    return [" ".join(rng.choices(lexicon, weights, k=rng.randint(10, 24))) + "." for _ in range(count)]


def build(seed: int, vocab_size: int, train_steps: int):
    """Tokenizer, ~5M-parameter GPT-2 (4 layers, d=256, context 128) briefly fitted so it emits EOS, and texts."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from helpers.tokenizer import train_bpe_tokenizer

    texts = pseudo_sentences(30000, seed)
    tokenizer = train_bpe_tokenizer(texts, vocab_size=vocab_size)
    config = GPT2Config(n_layer=4, n_embd=256, n_head=4, n_positions=128, vocab_size=len(tokenizer),
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


def baseline_generate(model, tokenizer, prompts: list[str], k: int, new_tokens: int,
                      do_sample: bool) -> list[list[int]]:
    """The papers' loop: one `generate` call per prompt with num_return_sequences=k; token ids before EOS."""
    import torch

    eos = tokenizer.eos_token_id
    results = []
    with torch.inference_mode():
        for prompt in prompts:
            ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(prompt)["input_ids"]]])
            extra = {"top_p": 0.9, "top_k": 0} if do_sample else {}
            out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=do_sample,
                                 max_new_tokens=new_tokens, num_return_sequences=k,
                                 pad_token_id=tokenizer.pad_token_id, eos_token_id=eos, **extra)
            for row in out[:, ids.shape[1]:].tolist():
                results.append(row[:row.index(eos)] if eos in row else row)
    return results


def baseline_logprobs(model, tokenizer, texts: list[str]) -> list[float]:
    """One sentence per forward pass: summed log p(token | BOS, previous tokens)."""
    import torch

    sums = []
    with torch.inference_mode():
        for text in texts:
            ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(text)["input_ids"]]])
            logprobs = torch.log_softmax(model(ids).logits[0, :-1].double(), dim=-1)
            sums.append(float(logprobs.gather(1, ids[0, 1:, None]).sum()))
    return sums


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def mean_and_se(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) / len(values) ** 0.5


def run(args: argparse.Namespace) -> dict:
    import torch

    from helpers.engines.generation import DecodingConfig, generate_continuations
    from helpers.engines.likelihood import sequence_logprobs

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the baseline loop's padding advice is noise here
    if args.threads:
        torch.set_num_threads(args.threads)
    tokenizer, model, texts = build(args.seed, args.vocab_size, args.train_steps)
    n_params = sum(p.numel() for p in model.parameters())
    rng = random.Random(args.seed + 1)
    prompts = [" ".join(t.split()[:rng.randint(3, 8)]) for t in rng.sample(texts, args.prompts)]
    k, new_tokens = 25, 20
    config = DecodingConfig(num_samples=k, max_new_tokens=new_tokens, top_p=0.9, top_k=0, temperature=1.0)

    # warm-up: first calls pay for lazy initialisation
    baseline_generate(model, tokenizer, prompts[:1], 2, 2, True)
    generate_continuations(model, tokenizer, prompts[:1], DecodingConfig(2, 2), seed=0)

    base_ids, base_s = timed(baseline_generate, model, tokenizer, prompts, k, new_tokens, True)
    ours, ours_s = timed(generate_continuations, model, tokenizer, prompts, config, seed=args.seed,
                         batch_size=args.batch_size)
    wide, wide_s = timed(generate_continuations, model, tokenizer, prompts, config, seed=args.seed,
                         batch_size=args.wide_batch_size)
    assert wide.equals(ours), "the engine's output changed with the batch size"
    n_gen = len(prompts) * k
    base_lengths = [len(ids) for ids in base_ids]
    ours_lengths = ours["n_new_tokens"].tolist()
    (base_mean, base_se), (ours_mean, ours_se) = mean_and_se(base_lengths), mean_and_se(ours_lengths)
    base_texts = tokenizer.batch_decode(base_ids, skip_special_tokens=True)
    base_eos = sum(n < new_tokens for n in base_lengths) / n_gen
    ours_eos = sum(n < new_tokens for n in ours_lengths) / n_gen

    greedy = DecodingConfig(num_samples=1, max_new_tokens=new_tokens, do_sample=False)
    greedy_base = tokenizer.batch_decode(baseline_generate(model, tokenizer, prompts, 1, new_tokens, False),
                                         skip_special_tokens=True)
    greedy_ours = generate_continuations(model, tokenizer, prompts, greedy, seed=0)["continuation"].tolist()
    greedy_same = sum(a == b for a, b in zip(greedy_base, greedy_ours))

    sentences = texts[:args.sentences]
    base_ll, base_ll_s = timed(baseline_logprobs, model, tokenizer, sentences)
    ours_ll, ours_ll_s = timed(sequence_logprobs, model, tokenizer, sentences, batch_size=args.batch_size)
    wide_ll, wide_ll_s = timed(sequence_logprobs, model, tokenizer, sentences, batch_size=args.wide_batch_size)
    max_diff = max(abs(a - b) for a, b in zip(base_ll, ours_ll["sum_logprob"]))

    return {
        "quick": args.quick,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                    "load_average_1min": os.getloadavg()[0]},
        "model": {"parameters": n_params, "layers": 4, "d_model": 256, "context": 128,
                  "vocab": len(tokenizer), "train_steps": args.train_steps},
        "generation": {
            "protocol": config.caption(), "prompts": len(prompts), "generations": n_gen,
            "batch_size": args.batch_size,
            "baseline_seconds": base_s, "engine_seconds": ours_s,
            "baseline_generations_per_s": n_gen / base_s, "engine_generations_per_s": n_gen / ours_s,
            "speedup": base_s / ours_s,
            "wide_batch_size": args.wide_batch_size, "wide_engine_seconds": wide_s,
            "wide_engine_generations_per_s": n_gen / wide_s, "wide_speedup": base_s / wide_s,
            "mean_new_tokens": {"baseline": [base_mean, base_se], "engine": [ours_mean, ours_se],
                                "z": (ours_mean - base_mean) / max((base_se ** 2 + ours_se ** 2) ** 0.5, 1e-12)},
            "share_stopped_at_eos": {"baseline": base_eos, "engine": ours_eos},
            "mean_characters": {"baseline": statistics.fmean(map(len, base_texts)),
                                "engine": statistics.fmean(map(len, ours["continuation"]))},
            "greedy_identical": f"{greedy_same}/{len(prompts)}",
        },
        "likelihood": {
            "sentences": len(sentences), "batch_size": args.batch_size,
            "baseline_seconds": base_ll_s, "engine_seconds": ours_ll_s,
            "baseline_sentences_per_s": len(sentences) / base_ll_s,
            "engine_sentences_per_s": len(sentences) / ours_ll_s,
            "speedup": base_ll_s / ours_ll_s, "max_abs_difference": max_diff,
            "wide_batch_size": args.wide_batch_size, "wide_engine_seconds": wide_ll_s,
            "wide_engine_sentences_per_s": len(sentences) / wide_ll_s, "wide_speedup": base_ll_s / wide_ll_s,
            "wide_max_abs_difference": max(abs(a - b) for a, b in zip(base_ll, wide_ll["sum_logprob"])),
        },
    }


def markdown_table(results: dict) -> str:
    """The headline figures as a markdown table."""
    gen, ll = results["generation"], results["likelihood"]
    z = gen["mean_new_tokens"]
    rows = [
        f"| what | per-item loop (papers' code) | engine, batch {gen['batch_size']} (default) "
        f"| engine, batch {gen['wide_batch_size']} | speed-up | check |",
        "|---|---|---|---|---|---|",
        f"| generation, {gen['prompts']} prompts x 25 samples x 20 tokens, top-p 0.9, top_k 0 "
        f"| {gen['baseline_generations_per_s']:.1f} gen/s | {gen['engine_generations_per_s']:.1f} gen/s "
        f"| {gen['wide_engine_generations_per_s']:.1f} gen/s | {gen['speedup']:.1f}x / {gen['wide_speedup']:.1f}x "
        f"| mean new tokens {z['baseline'][0]:.2f} vs {z['engine'][0]:.2f} (z = {z['z']:.1f}); "
        f"greedy identical {gen['greedy_identical']} |",
        f"| log-likelihood, {ll['sentences']} sentences | {ll['baseline_sentences_per_s']:.0f} sent/s "
        f"| {ll['engine_sentences_per_s']:.0f} sent/s | {ll['wide_engine_sentences_per_s']:.0f} sent/s "
        f"| {ll['speedup']:.1f}x / {ll['wide_speedup']:.1f}x "
        f"| max abs difference {max(ll['max_abs_difference'], ll['wide_max_abs_difference']):.1e} |",
    ]
    machine = results["machine"]
    note = (f"\n{results['model']['parameters'] / 1e6:.1f}M-parameter GPT-2, {machine['torch_threads']} torch threads, "
            f"{machine['cpu_count']} CPUs, load average {machine['load_average_1min']:.1f} at the end"
            f"{', --quick' if results['quick'] else ''}.")
    return "\n".join(rows) + "\n" + note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few prompts and sentences (about a minute)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    parser.add_argument("--batch-size", type=int, default=64, help="rows per forward pass (the engines' default)")
    parser.add_argument("--wide-batch-size", type=int, default=256, help="a second, larger batch size to compare")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--train-steps", type=int, default=40)
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--readme", action="store_true", help="rewrite the results table in benchmarks/README.md")
    args = parser.parse_args()
    args.prompts, args.sentences = (8, 200) if args.quick else (40, 1000)

    from helpers import io

    results = run(args)
    io.write_json(args.out, results)
    table = markdown_table(results)
    print(table)
    if args.readme:
        readme = HERE / "README.md"
        text = readme.read_text()
        pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.S)
        io.write_text(readme, pattern.sub(lambda _: f"{TABLE_START}\n{table}\n{TABLE_END}", text))


if __name__ == "__main__":
    main()
