"""What notebook 05 costs per model, and where that time goes, on copies of a finished profile's models.

Run from the repository root after a profile's 00 and 01 have finished:
    python benchmarks/bench_evaluation.py --profile default --models 12 [--code OLD_CHECKOUT/src]

It makes `--models` copies of the profile's models with slightly perturbed weights (so that every copy
generates its own continuations, as distinct models do), evaluates them with 05's protocol of that
profile (`params/<profile>.yaml`, overridable with --set key=value) into a scratch cache, and reports
the wall time per model with its breakdown (loading, generation, toxicity scoring, language
identification, likelihood, fluency under the reference model, per-item metrics), then the time of a
rerun in which every result is stored. `--code` runs another copy of the helpers package (e.g. an older
commit's `src`) on the same copies, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
HERE = Path(__file__).resolve().parent


class Timers:
    """Exclusive wall time per label; a call nested in an absorbing label is counted in that label."""

    def __init__(self, absorbing: set[str]) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.absorbing = absorbing
        self._stack: list[list] = []

    def wrap(self, label: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if self._stack and self._stack[-1][0] in self.absorbing:
                return function(*args, **kwargs)
            self._stack.append([label, 0.0])
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                _, inner = self._stack.pop()
                self.seconds[label] += elapsed - inner
                if self._stack:
                    self._stack[-1][1] += elapsed
        return timed


def instrument(timers: Timers) -> None:
    """Wrap the functions 05's per-model evaluation spends its time in (old and new names alike)."""
    from helpers import evaluation, modeling
    from helpers.metrics import quality

    def patch(module, name, label):
        if hasattr(module, name):
            setattr(module, name, timers.wrap(label, getattr(module, name)))

    patch(modeling, "load_model", "loading the model")
    for name in ("generate_continuations", "generate_requests"):
        patch(evaluation, name, "generation")
    patch(quality, "identify_languages", "language identification")
    for name in ("sequence_logprobs", "sequence_logprobs_requests"):
        patch(evaluation, name, "likelihood (CrowS, probe, held-out)")
    patch(quality, "sequence_logprobs", "likelihood (CrowS, probe, held-out)")
    patch(quality, "conditional_perplexities", "fluency under the reference model")
    for name in ("_prompt_items", "stereotype_choices", "_long"):
        patch(evaluation, name, "per-item metrics (pandas)")
    patch(quality, "knowledge_probe_items", "per-item metrics (pandas)")
    try:
        from helpers.engines.classifiers import FastTfidfScorer

        FastTfidfScorer.score = timers.wrap("toxicity scoring", FastTfidfScorer.score)
    except ImportError:
        pass
    from helpers import scoring

    scoring.TfidfScorer.score = timers.wrap("toxicity scoring", scoring.TfidfScorer.score)


def perturbed_copies(profile: str, count: int, scratch: Path) -> list:
    """`count` models made from the profile's 01 models (round robin), each weight nudged by 1e-3 of its std."""
    import torch

    from helpers import modeling

    sources = modeling.discover_models(profile)
    if not sources:
        raise SystemExit(f"profile {profile!r} has no finished models: run 00 and 01 first")
    cards = []
    for index in range(count):
        source = sources[index % len(sources)]
        model, tokenizer = modeling.load_model(source, "cpu")
        generator = torch.Generator().manual_seed(index)
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 1e-3 * parameter.std())
        name = f"{source.method}-copy{index}"
        card = modeling.ModelCard(name=name, method=source.method, stage="01_pretraining", seed=index,
                                  base=source.base, path=f"models/{name}", generation_prefix=source.generation_prefix,
                                  prefixes=dict(source.prefixes))
        cards.append(modeling.save_model(model, tokenizer, scratch / "01_pretraining" / "models" / name, card))
    return cards, sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--code", type=Path, help="another helpers source tree (its src folder) to measure")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a 05_evaluation parameter (YAML value), e.g. --set num_samples=5")
    parser.add_argument("--scratch", type=Path, default=None, help="where the copies and caches go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.code is not None:
        sys.path.insert(0, str(args.code.resolve()))
    import yaml
    from transformers.utils import logging as hf_logging

    from helpers import evaluation, modeling, paths, scoring

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    from helpers.params import load_profile

    print(f"helpers from {Path(evaluation.__file__).parent}", file=sys.stderr)
    params = dict(load_profile(args.profile)["05_evaluation"])
    params.update({"profile": args.profile, "seed": 0})
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in params:
            raise SystemExit(f"--set {key}: not a 05_evaluation parameter")
        params[key] = yaml.safe_load(value)
    scratch = args.scratch or paths.profile_dir(args.profile) / ".bench-evaluation"
    shutil.rmtree(scratch, ignore_errors=True)
    cards, sources = perturbed_copies(args.profile, args.models, scratch)
    protocol = evaluation.EvaluationConfig.from_params(params)
    data = evaluation.load_evaluation_data(args.profile, protocol, 0)
    scorer = scoring.load_scorer(paths.scorer_dir(args.profile))
    reference = evaluation.resolve_reference(params["fluency_reference"], sources, "cpu")
    if isinstance(reference, tuple):  # an older helpers: the reference comes loaded
        reference_pair = reference
    cache = scratch / "cache"
    timers = Timers(absorbing={"fluency under the reference model", "generation",
                               "likelihood (CrowS, probe, held-out)"})
    instrument(timers)
    per_model, breakdowns = [], []
    started_all = time.perf_counter()
    new_api = hasattr(evaluation, "evaluate_models")
    if new_api:
        results = evaluation.evaluate_models(cards, lambda card: modeling.load_model(card, "cpu"), scorer, data,
                                             protocol, 0, cache, reference, "cpu")
    for index, card in enumerate(cards):
        before = dict(timers.seconds)
        started = time.perf_counter()
        if new_api:
            next(results)
        else:
            model, tokenizer = modeling.load_model(card, "cpu")
            evaluation.evaluate_model(card, model, tokenizer, scorer, data, protocol, 0, cache, reference_pair)
        seconds = time.perf_counter() - started
        per_model.append(seconds)
        breakdowns.append({k: v - before.get(k, 0.0) for k, v in timers.seconds.items()})
        print(f"{card.name}: {seconds:.2f} s", file=sys.stderr, flush=True)
    total = time.perf_counter() - started_all
    rerun = None
    if new_api:
        started = time.perf_counter()
        fresh_reference = evaluation.resolve_reference(params["fluency_reference"], sources, "cpu")
        stored = list(evaluation.evaluate_models(cards, lambda card: modeling.load_model(card, "cpu"), scorer, data,
                                                 protocol, 0, cache, fresh_reference, "cpu"))
        rerun = {"seconds": time.perf_counter() - started, "all_stored": all(r.cached for r in stored),
                 "reference_loaded": fresh_reference.loaded}
    steady = per_model[1:] or per_model  # the first model also pays for loading the reference and warm-up
    labels = sorted({k for b in breakdowns for k in b}, key=lambda k: -sum(b.get(k, 0) for b in breakdowns[1:]))
    mean_breakdown = {k: statistics.fmean(b.get(k, 0.0) for b in (breakdowns[1:] or breakdowns)) for k in labels}
    mean_breakdown["other (Python, pandas glue)"] = statistics.fmean(steady) - sum(mean_breakdown.values())
    sizes = {"rtp prompts": len(data.rtp), "multilingual prompts": len(data.multilingual),
             "crows pairs": len(data.crows), "bold prompts": len(data.bold), "probe facts": len(data.probe),
             "heldout docs": len(data.heldout)}
    report = {"profile": args.profile, "models": args.models, "code": str(Path(evaluation.__file__).parent),
              "protocol": {k: params[k] for k in params if k not in ("profile",)}, "items": sizes,
              "seconds_per_model": per_model, "first_model_seconds": per_model[0],
              "steady_seconds_per_model": {"mean": statistics.fmean(steady), "median": statistics.median(steady)},
              "breakdown_seconds_per_model": mean_breakdown, "total_seconds": total, "rerun": rerun,
              "load_average_1min": os.getloadavg()[0]}
    print(json.dumps({k: report[k] for k in ("items", "first_model_seconds", "steady_seconds_per_model", "rerun")},
                     indent=1))
    for label, value in sorted(mean_breakdown.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<40} {value:6.2f} s  {100 * value / statistics.fmean(steady):5.1f}%")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1, default=str))
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
