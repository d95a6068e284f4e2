"""Where the generation engine's time goes: model forward, KV-cache writes and copies, the nucleus cut, the rest.

Run from the repository root:  python benchmarks/profile_engines.py [--model small|study|large] [--engine FILE]
`--engine` profiles another copy of `helpers/engines/generation.py` (e.g. an older commit's) on the same
model and prompts, so a before/after breakdown comes from one process. Timings wrap the engine's own
functions (no sampling profiler), so the shares add up to the measured wall time.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_engines as bench  # noqa: E402


class Timers:
    """Exclusive wall time per label: a timed call inside another is subtracted from the outer one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []

    def wrap(self, label: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            self._stack.append([0.0])
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                inner = self._stack.pop()[0]
                self.seconds[label] += elapsed - inner
                self.calls[label] += 1
                if self._stack:
                    self._stack[-1][0] += elapsed
        return timed


def load_engine(path: Path | None):
    """The engine module to profile: the project's, or another file's copy under a private name."""
    if path is None:
        from helpers.engines import generation

        return generation
    name = f"profiled_generation_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def profile(engine, model, tokenizer, prompts, batch_size: int | None) -> tuple[float, dict, dict]:
    """Run the engine once under the timers; returns wall seconds, exclusive seconds and calls per label."""
    from transformers import cache_utils

    timers = Timers()
    patched = []

    def patch(owner, name, label):
        original = getattr(owner, name)
        setattr(owner, name, timers.wrap(label, original))
        patched.append((owner, name, original))

    patch(engine, "choose_tokens", "nucleus cut and draw")
    for name in ("_sorted_ascending",):
        if hasattr(engine, name):
            patch(engine, name, "full sort of the vocabulary")
    patch(cache_utils.DynamicLayer, "update", "KV-cache writes (concatenation or in place)")
    patch(cache_utils.DynamicLayer, "batch_select_indices", "KV-cache copies (prefill fan-out, finished rows)")
    if hasattr(engine, "PreallocatedLayer"):
        patch(engine.PreallocatedLayer, "update", "KV-cache writes (concatenation or in place)")
        patch(engine.PreallocatedLayer, "batch_select_indices", "KV-cache copies (prefill fan-out, finished rows)")
        patch(engine.PreallocatedLayer, "from_prefill", "KV-cache copies (prefill fan-out, finished rows)")
    patch(engine, "_prefill", "prefill (prompts' forward)")
    patch(tokenizer, "batch_decode", "detokenising")
    patch(engine, "_encode_prompts", "tokenising prompts")
    patch(engine, "row_seeds", "row seeds and random streams")
    forward = model.forward
    model.forward = timers.wrap("model forward (prefill and decode steps)", forward)
    config = engine.DecodingConfig(25, 20)
    kwargs = {"batch_size": batch_size} if batch_size else {}
    started = time.perf_counter()
    frame = engine.generate_continuations(model, tokenizer, prompts, config, seed=0, **kwargs)
    wall = time.perf_counter() - started
    model.forward = forward
    for owner, name, original in reversed(patched):
        setattr(owner, name, original)
    seconds = dict(timers.seconds)
    seconds["Python and tensor bookkeeping per step"] = wall - sum(seconds.values())
    return wall, seconds, {"generations": len(frame), "mean_new_tokens": float(frame["n_new_tokens"].mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(bench.MODELS), default="small")
    parser.add_argument("--study", metavar="PROFILE", help="profile a finished profile's first model on its "
                        "RTP-style prompts instead (e.g. default; needs its 00 and 01)")
    parser.add_argument("--engine", type=Path, action="append", default=[],
                        help="generation.py of another version to profile side by side (repeatable)")
    parser.add_argument("--batch-size", type=int, action="append", default=[],
                        help="rows per forward pass (repeatable; default: the engine's own default)")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--constant", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of the profiled engine module(s), e.g. COMPACT_SHARE=0.25")
    parser.add_argument("--likelihood", type=int, default=0, metavar="N",
                        help="also time sequence_logprobs on N sentences at each --max-batch-tokens")
    parser.add_argument("--max-batch-tokens", type=int, action="append", default=[])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    if args.study:
        from helpers import datasets, modeling

        card = modeling.discover_models(args.study)[0]
        model, tokenizer = modeling.load_model(card, "cpu")
        prompts = datasets.load_dataset(args.study, "rtp_prompts")["text"].tolist()[:args.prompts]
        args.model = f"{args.study} {card.name}"
    else:
        tokenizer, model, texts = bench.build(bench.MODELS[args.model], seed=0)
        rng = random.Random(1)
        prompts = [" ".join(t.split()[:rng.randint(3, 8)]) for t in rng.sample(texts, args.prompts)]
    engines = [(None, load_engine(None))] + [(p, load_engine(p)) for p in args.engine]
    import yaml

    for item in args.constant:
        name, _, value = item.partition("=")
        for _, engine in engines:
            if not hasattr(engine, name):
                raise SystemExit(f"--constant {name}: the engine module has no such constant")
            setattr(engine, name, yaml.safe_load(value))
    print(f"{args.model}: {bench.count_parameters(model) / 1e6:.1f}M parameters, {torch.get_num_threads()} threads, "
          f"{len(prompts)} prompts x 25 samples x 20 tokens")
    for path, engine in engines:
        for batch_size in args.batch_size or [None]:
            profile(engine, model, tokenizer, prompts[:2], batch_size)  # warm-up
            wall, seconds, info = profile(engine, model, tokenizer, prompts, batch_size)
            name = "this engine" if path is None else str(path)
            print(f"\n{name}, batch {batch_size or 'default'}: {wall:.2f} s, "
                  f"{info['generations'] / wall:.1f} gen/s, mean new tokens {info['mean_new_tokens']:.2f}")
            for label, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
                print(f"  {label:<52} {value:7.3f} s  {100 * value / wall:5.1f}%")
    if args.likelihood:
        from helpers.engines.likelihood import MAX_BATCH_TOKENS, sequence_logprobs

        sentences = (texts if not args.study else
                     datasets.load_dataset(args.study, "crows_pairs")["sent_more"].tolist())[:args.likelihood]
        sequence_logprobs(model, tokenizer, sentences[:20])
        for budget in args.max_batch_tokens or [MAX_BATCH_TOKENS]:
            started = time.perf_counter()
            frame = sequence_logprobs(model, tokenizer, sentences, max_batch_tokens=budget)
            wall = time.perf_counter() - started
            print(f"likelihood, {len(sentences)} sentences ({int(frame['n_tokens'].sum())} tokens), "
                  f"max_batch_tokens {budget}: {wall:.2f} s, {len(sentences) / wall:.0f} sentences/s")


if __name__ == "__main__":
    main()
