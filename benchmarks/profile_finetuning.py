"""Where a run of notebook 04 spends its time outside the optimiser: one DetoxDPO and one DAPT run per variant.

Run from the repository root on a finished profile folder (00-03 done), e.g. the main checkout's:
    python benchmarks/profile_finetuning.py --source /work/main/outputs/default [--variants lora16] [--seeds 0 1]
                                            [--code OLD_CHECKOUT/src] [--out figures.json]

The script copies what 04 reads (00's datasets, scorer and tokenizer, 01's base model, the manifests of
02 and 03) into a scratch outputs folder, so the source is only read, then does what 04's training cell
does for each (family, variant, seed) of the plan, with that profile's parameters: load the base model,
train (DAPT: the causal-LM loop; DetoxDPO: TRL's DPOTrainer), the implicit rewards on the held-out pairs
(DPO), the held-out scoring and the save. Each run's wall time is split into exclusive parts (a part
called inside another one is counted there only); the optimiser is the trainer's own step time
(`train_seconds`), everything else is overhead. `--code` runs another copy of the helpers package (e.g.
an older commit's `src`) on the same data, for a before/after comparison. Timings move with any other
load on the CPU: run it alone (`flock` the shared lock) and compare runs taken the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HELPERS_PROGRESS", "0")

# what 04 reads of a finished profile (relative to the profile folder)
COPIED = ("00_data/datasets", "00_data/scorer", "00_data/tokenizer", "00_data/manifest.json",
          "01_pretraining/manifest.json", "01_pretraining/models", "02_domain_adaptation/manifest.json",
          "03_preference_optimization/manifest.json")
OPTIMISER = "optimiser steps (train_seconds)"


class Timers:
    """Exclusive wall time per label: a timed call inside another timed call is subtracted from the outer one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []

    def wrap(self, label: str, function):
        """`function`, timed under `label`."""
        @functools.wraps(function)
        def timed(*args, **kwargs):
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

    def take(self) -> dict[str, float]:
        """The seconds since the last call, and reset."""
        out, self.seconds = dict(self.seconds), defaultdict(float)
        return out


def instrument(timers: Timers) -> None:
    """Wrap what a 04 run spends its time in (names of old and new code alike; a missing one is skipped)."""
    import transformers
    from trl.trainer import dpo_trainer
    from trl.trainer import utils as trl_utils

    from helpers import modeling
    from helpers.engines import likelihood
    from helpers.training import causal_lm, collapse, dpo, finetune, peft_variants, preference

    def patch(owner, name, label):
        if hasattr(owner, name):
            setattr(owner, name, timers.wrap(label, getattr(owner, name)))

    patch(modeling, "load_model", "load the base model")
    patch(finetune, "save_model", "save model, tokenizer, card (digest)")
    patch(finetune, "training_stream", "DAPT: tokenise and pack documents")
    patch(finetune, "prepare_model", "PEFT wrap")
    patch(peft_variants, "prepare_model", "PEFT wrap")
    patch(dpo, "prepare_model", "PEFT wrap")
    patch(causal_lm, "heldout_loss", "DAPT: held-out curve during training")
    patch(collapse, "heldout_losses", "held-out splits after training (collapse)")
    patch(preference, "implicit_rewards", "implicit rewards (policy and reference)")
    patch(likelihood, "sequence_logprobs", "implicit rewards (policy and reference)")
    DPOTrainer = dpo_trainer.DPOTrainer
    patch(DPOTrainer, "__init__", "DPO: trainer setup (Trainer, PEFT, collator)")
    patch(DPOTrainer, "_prepare_dataset", "DPO: tokenise pairs (datasets.map)")
    patch(DPOTrainer, "_precompute_ref_logps", "DPO: reference log-probs (TRL precompute)")
    patch(dpo_trainer, "hash_module", "DPO: hash the model (TRL precompute cache key)")
    patch(trl_utils, "hash_module", "DPO: hash the model (TRL precompute cache key)")
    patch(DPOTrainer, "evaluate", "DPO: held-out pair evaluation during training")
    patch(transformers.Trainer, "train", "trainer.train outside the steps")
    patch(causal_lm, "train_causal_lm", "DAPT: loop outside the steps")
    patch(finetune, "train_causal_lm", "DAPT: loop outside the steps")


def copy_profile(source: Path, scratch: Path, profile: str) -> None:
    """Copy what 04 reads from a finished profile folder into `scratch/<profile>` (the source is only read)."""
    for relative in COPIED:
        origin, target = source / relative, scratch / profile / relative
        if not origin.exists():
            raise SystemExit(f"{origin} does not exist: {source} must hold a finished profile with 00-03 done")
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if origin.is_dir() else shutil.copy2)(origin, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a finished profile folder (outputs/<profile>)")
    parser.add_argument("--families", nargs="+", default=["DetoxDPO", "DAPT"])
    parser.add_argument("--variants", nargs="+", default=["lora16"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1],
                        help="seeds per (family, variant); the first run of a process pays one-off costs")
    parser.add_argument("--code", type=Path, help="another helpers source tree (its src folder) to measure")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.code is not None:
        sys.path.insert(0, str(args.code.resolve()))
    source = args.source.resolve()
    profile = source.name
    scratch = Path(tempfile.mkdtemp(prefix="profile-finetuning-"))
    os.environ["HELPERS_OUTPUTS_ROOT"] = str(scratch)
    copy_profile(source, scratch, profile)
    try:
        figures = profile_runs(profile, args.families, args.variants, args.seeds, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["code"] = str(args.code or "this checkout")
    text = json.dumps(figures, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)


def profile_runs(profile: str, families, variants, seeds, scratch: Path) -> dict:
    """Run 04's training cell for the plan and return per-run parts (seconds), as 04's cells 5 and 7 do."""
    import numpy as np
    import pandas as pd
    import torch
    from transformers.utils import logging as hf_logging

    from helpers import datasets, modeling, paths, scoring
    from helpers.engines.common import context_length as model_context
    from helpers.params import load_profile
    from helpers.seeding import seed_everything
    from helpers.training import causal_lm, collapse, data_checks, finetune, preference, pretraining
    from helpers.training import domain_adaptation as da
    from helpers.training import parameter_efficient as pe

    hf_logging.set_verbosity_error()
    print(f"helpers from {Path(preference.__file__).parents[1]}; torch threads {torch.get_num_threads()}",
          file=sys.stderr)
    P = dict(load_profile(profile)["04_parameter_efficient"])
    timers = Timers()
    instrument(timers)
    device = "cpu"
    base_card = modeling.resolve_card(profile, P["base_model"])
    recipes = {family: pe.upstream_params(profile, pe.SOURCE_STAGES[family]) for family in families}
    scorer = scoring.load_scorer(paths.scorer_dir(profile))
    base_model, tokenizer = modeling.load_model(base_card, device)
    context_length = model_context(base_model)
    corpus = datasets.load_dataset(profile, "pretraining_corpus")
    _, heldout_docs = pretraining.corpus_splits(corpus)
    family_languages = {}
    # --- 04's cell 5: the recipes and the data
    r = recipes.get("DAPT")
    if r:
        src = paths.datasets_dir(profile) / "curated_corpus.parquet"
        curated = da.restrict_languages(data_checks.check_documents(pd.read_parquet(src), src), r["train_languages"], src)
        dapt_docs = da.dapt_documents(curated, scorer.score(curated["text"].tolist(), curated["language"].tolist()),
                                      r["dapt_max_toxicity"])
        dapt_heldout = pretraining.heldout_blocks(tokenizer, heldout_docs, context_length, r["eval_tokens"])
        dapt_config = causal_lm.TrainingConfig(
            train_tokens=da.token_budget("DAPT", r["train_tokens"]), batch_size=r["batch_size"],
            context_length=context_length, learning_rate=r["learning_rate"], seed=0,
            grad_accum_steps=r["grad_accum_steps"], warmup_fraction=r["warmup_fraction"],
            min_lr_fraction=r["min_lr_fraction"], weight_decay=r["weight_decay"], grad_clip=r["grad_clip"],
            eval_interval=r["eval_interval"], eval_tokens=r["eval_tokens"], device=device)
        family_languages["DAPT"] = sorted(set(dapt_docs["language"]))
    r = recipes.get("DetoxDPO")
    if r:
        src = paths.datasets_dir(profile) / "toxicity_preferences.parquet"
        detox_pairs = preference.prepare_pairs(pd.read_parquet(src), "toxicity_preferences", src,
                                               r["train_languages"], r["heldout_pairs"], r["seed"])
        settings = preference.PreferenceSettings.from_params(r)
        dpo_config = causal_lm.TrainingConfig(
            train_tokens=0, batch_size=r["batch_size"], context_length=context_length, learning_rate=0.0, seed=0,
            grad_accum_steps=r["grad_accum_steps"], warmup_fraction=r["warmup_fraction"],
            min_lr_fraction=r["min_lr_fraction"], weight_decay=r["weight_decay"], grad_clip=r["grad_clip"],
            eval_interval=r["eval_interval"], eval_tokens=r["eval_tokens"], device=device)
        family_languages["DetoxDPO"] = detox_pairs.languages
    batch = P["generation_batch_size"]
    splits = {family: collapse.heldout_splits(tokenizer, heldout_docs, family_languages[family], context_length,
                                              P["eval_tokens"]) for family in families}
    base_losses = {family: collapse.heldout_losses(base_model, splits[family], batch) for family in families}
    # new code: what every run on the pair set shares is computed once, here, as 04's training cell does
    shared = {"train": {}, "rewards": {}}
    started = time.perf_counter()
    if hasattr(preference, "reference_pairs") and "DetoxDPO" in families:
        training_copy, _ = modeling.load_model(base_card, device, for_training=True)
        shared["train"] = {"reference": preference.reference_pairs(training_copy, tokenizer, detox_pairs, dpo_config,
                                                                   settings)}
        shared["rewards"] = {"reference_logps": preference.response_logprobs(base_model, tokenizer,
                                                                             detox_pairs.heldout, batch)}
    once = time.perf_counter() - started
    setup = timers.take()
    print(f"setup (once per notebook): {sum(setup.values()):.1f} s timed; reference pass {once:.1f} s", file=sys.stderr)
    out_dir = scratch / profile / "04_parameter_efficient"
    rows = []
    for family in families:
        for variant in variants:
            for seed in seeds:
                name = finetune.run_name(family, seed, variant)
                started = time.perf_counter()
                seed_everything(seed)
                model, _ = modeling.load_model(base_card, device, for_training=True)
                checkpoints = out_dir / "models" / name / "checkpoints"
                if family == "DAPT":
                    config = dataclasses.replace(dapt_config, seed=seed, learning_rate=pe.learning_rate(
                        recipes["DAPT"]["learning_rate"], variant, P["learning_rate_multipliers"]))
                    result = finetune.continued_training(model, tokenizer, dapt_docs, dapt_heldout, config, variant,
                                                         checkpoints, progress=False)
                    summary = {}
                else:
                    rate = pe.learning_rate(settings.learning_rate("DetoxDPO"), variant, P["learning_rate_multipliers"])
                    result = preference.train_preference_method(
                        "DetoxDPO", model, tokenizer, detox_pairs, dataclasses.replace(dpo_config, seed=seed),
                        dataclasses.replace(settings, learning_rates={"DetoxDPO": rate}), checkpoints, peft=variant,
                        progress=False, **shared["train"])
                    margins = preference.implicit_rewards(result.model, base_model, tokenizer, detox_pairs.heldout,
                                                          settings.beta, batch, **shared["rewards"])
                    summary = {**preference.reward_summary(result.log),
                               "heldout_pairs_margin": round(float(margins["margin"].mean()), 6)}
                run, check = collapse.save_checked(
                    result, tokenizer, out_dir, method=family, seed=seed, parent=base_card,
                    stage="04_parameter_efficient", splits=splits[family], parent_losses=base_losses[family],
                    margin=float(P["collapse_margin"][family]), batch_size=batch, peft=variant,
                    train_languages=family_languages[family], summary=summary)
                wall = time.perf_counter() - started
                parts = timers.take()
                optimiser = float(result.train_seconds)
                outer = "DAPT: loop outside the steps" if family == "DAPT" else "trainer.train outside the steps"
                parts[outer] = parts.get(outer, 0.0) - optimiser
                parts[OPTIMISER] = optimiser
                parts["untimed rest"] = wall - sum(parts.values())
                rows.append({"run": name, "family": family, "variant": variant, "seed": seed,
                             "wall_s": round(wall, 3), "optimiser_s": round(optimiser, 3),
                             "outside_s": round(wall - optimiser, 3),
                             "parts": {k: round(v, 3) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])},
                             "final_heldout_loss": result.final_heldout_loss,
                             "log_digest": str(pd.util.hash_pandas_object(result.log.drop(columns="seconds"),
                                                                          index=False).sum()),
                             "pretraining_heldout_loss": run.summary[collapse.OVERALL],
                             **({"heldout_pairs_margin": summary["heldout_pairs_margin"]} if summary else {})})
                print(f"{name}: wall {wall:.2f} s, optimiser {optimiser:.2f} s, outside {wall - optimiser:.2f} s",
                      file=sys.stderr)
    later = [row for row in rows if row["seed"] != seeds[0]] or rows
    by_family = {family: round(statistics.mean(r["outside_s"] for r in later if r["family"] == family), 3)
                 for family in families}
    return {"profile": profile, "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg(),
            "reference_pass_once_s": round(once, 3), "setup_parts": {k: round(v, 3) for k, v in setup.items()},
            "mean_outside_s_after_first_seed": by_family, "runs": rows,
            "numpy": np.__version__}


if __name__ == "__main__":
    main()
