"""What the TRL trainers of the seam share: CPU-safe arguments, the study's schedule, progress lines, log tables.

`trainer_arguments` turns the study's `TrainingConfig` into an `SFTConfig` or `DPOConfig` (or any
`TrainingArguments` subclass): precision follows the device (TRL defaults to bf16 and gradient
checkpointing, which break CPU runs: here `use_cpu` and float32 on a CPU, bf16 where the GPU supports
it), the learning-rate schedule is the study's one (`causal_lm.LR_SCHEDULE`, with the same warm-up and
floor as the causal-LM loop), AdamW with the loop's betas, logging and evaluation every
`eval_interval` steps, no checkpoints unless asked, no reporting integrations. `run_trainer` trains,
prints one progress line per logging step and returns a `TrainingResult` whose log starts with the
study's `LOG_COLUMNS` (from `trainer.state.log_history`) followed by what the trainer logs besides.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.training.causal_lm import LOG_COLUMNS, LR_SCHEDULE, TrainingConfig, TrainingResult, progress_line

# log_history keys that map onto the study's columns; everything else is kept under its own name
_RENAMED = {"loss": "train_loss", "eval_loss": "heldout_loss", "learning_rate": "lr", "num_tokens": "tokens"}
_DROPPED = ("epoch", "grad_norm", "eval_runtime", "eval_samples_per_second", "eval_steps_per_second",
            "eval_num_tokens", "total_flos", "train_runtime", "train_samples_per_second", "train_steps_per_second",
            "train_loss")


def precision_arguments(device: str) -> dict[str, Any]:
    """`use_cpu`/`bf16`/`fp16` for the resolved device: float32 on CPU, bf16 (else fp16) on a GPU."""
    from helpers.device import resolve_device

    if resolve_device(device) == "cpu":
        return {"use_cpu": True, "bf16": False, "fp16": False}
    import torch

    bf16 = bool(torch.cuda.is_bf16_supported())
    return {"use_cpu": False, "bf16": bf16, "fp16": not bf16}


def steps_for_budget(config: TrainingConfig, tokens_per_example: float, processes: int = 1) -> int:
    """Optimiser steps whose batches hold about `config.train_tokens` tokens (examples of the given mean length)."""
    if tokens_per_example <= 0:
        raise ValueError("examples hold no token")
    per_step = config.batch_size * config.grad_accum_steps * processes * tokens_per_example
    return max(1, math.ceil(config.train_tokens / per_step))


def trainer_arguments(config_class, config: TrainingConfig, output_dir: Path, max_steps: int, evaluate: bool,
                      **overrides):
    """A TRL/transformers config for `max_steps` steps of the study's schedule, CPU-safe; `overrides` win."""
    values: dict[str, Any] = dict(
        output_dir=str(output_dir), max_steps=max_steps, per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size, gradient_accumulation_steps=config.grad_accum_steps,
        learning_rate=config.learning_rate, lr_scheduler_type=LR_SCHEDULE,
        lr_scheduler_kwargs={"min_lr_rate": config.min_lr_fraction}, warmup_steps=config.warmup_steps(max_steps),
        weight_decay=config.weight_decay, adam_beta1=0.9, adam_beta2=0.95, optim="adamw_torch",
        max_grad_norm=config.grad_clip, logging_steps=config.eval_interval, seed=config.seed, data_seed=config.seed,
        activation_checkpointing=False, report_to="none", disable_tqdm=True, dataloader_num_workers=0,
        save_strategy="steps" if config.checkpoint_interval else "no",
        save_steps=config.checkpoint_interval or 500, save_only_model=True,
        eval_strategy="steps" if evaluate else "no", eval_steps=config.eval_interval if evaluate else None,
        eval_on_start=evaluate, **precision_arguments(config.device),
    )
    values.update(overrides)
    return config_class(**values)


def make_progress_callback(total_steps: int, print_lines: bool = True):
    """A transformers callback that times training steps and prints one line per logging step."""
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        """Training seconds (evaluation excluded) per logged step, and the study's progress line."""

        def __init__(self) -> None:
            self.train_seconds = 0.0
            self.seconds_at_step: dict[int, float] = {0: 0.0}
            self._started: float | None = None
            self._last: dict[str, float] = {}

        def on_step_begin(self, args, state, control, **kwargs):
            self._started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if self._started is not None:
                self.train_seconds += time.perf_counter() - self._started
                self._started = None
            self.seconds_at_step[state.global_step] = self.train_seconds
            if state.global_step >= state.max_steps:
                control.should_log = True  # the last step is logged too, so the log ends on the final loss
            return control

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            self._last.update({k: v for k, v in logs.items() if k in ("loss", "num_tokens", "eval_loss")})
            # evaluation follows the training log of the same step: print once both are in (or when none evaluates)
            ready = "eval_loss" in logs or (args.eval_strategy == "no" and "loss" in logs)
            if print_lines and ready and "train_runtime" not in logs:
                print(progress_line(state.global_step, total_steps, int(self._last.get("num_tokens", 0)),
                                    float(self._last.get("loss", float("nan"))),
                                    float(self._last.get("eval_loss", float("nan"))), self.train_seconds), flush=True)

    return ProgressCallback()


def log_table(log_history: Sequence[Mapping[str, Any]], seconds_at_step: Mapping[int, float] | None = None
              ) -> pd.DataFrame:
    """One row per logged step from `trainer.state.log_history`: the study's columns first, then the rest."""
    rows: dict[int, dict[str, Any]] = {}
    for entry in log_history:
        if "train_runtime" in entry:
            continue
        step = int(entry["step"])
        row = rows.setdefault(step, {"step": step})
        for key, value in entry.items():
            if key == "step" or key in _DROPPED:
                continue
            row[_RENAMED.get(key, key)] = value
    frame = pd.DataFrame([rows[s] for s in sorted(rows)])
    if frame.empty:
        return pd.DataFrame(columns=list(LOG_COLUMNS))
    seconds = seconds_at_step or {}
    frame["seconds"] = [round(float(seconds.get(int(s), np.nan)), 3) for s in frame["step"]]
    for column in LOG_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    # TRL counts tokens cumulatively at training logs; a row logged by evaluation alone carries the count forward
    frame["tokens"] = frame["tokens"].ffill().fillna(0).astype("int64")
    extras = [c for c in frame.columns if c not in LOG_COLUMNS]
    return frame[list(LOG_COLUMNS) + extras]


def quiet_datasets() -> None:
    """No `datasets` progress bars while TRL prepares data (they make executed notebooks noisy)."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()


def freeze_loaded_objects() -> None:
    """Collect once, then exempt every object alive now from later garbage collections.

    Every `transformers` Trainer starts with `gc.collect()` (`accelerator.free_memory`), which rescans all the
    data and models a notebook loaded before its runs: 0.3-0.6 s a run in 03 and 04. Objects created later
    (each run's trainer and model) are collected as usual.
    """
    import gc

    gc.collect()
    gc.freeze()


def run_trainer(trainer, total_steps: int, progress: bool = True) -> TrainingResult:
    """Train with a progress line per logging step; the model (unwrapped, eval mode), its log and throughput."""
    from transformers.trainer_callback import PrinterCallback

    callback = make_progress_callback(total_steps, progress)
    # without tqdm, transformers prints every raw log dict; the progress callback prints one line instead
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(callback)
    trainer.train()
    output_dir = Path(trainer.args.output_dir)
    if output_dir.is_dir() and not any(output_dir.iterdir()):
        output_dir.rmdir()  # the trainer makes its folder even when it saves no checkpoint
    log = log_table(trainer.state.log_history, callback.seconds_at_step)
    model = trainer.accelerator.unwrap_model(trainer.model).eval()
    tokens = int(log["tokens"].max()) if len(log) else 0
    held = log["heldout_loss"].dropna()
    return TrainingResult(model=model, log=log, steps=int(trainer.state.global_step), tokens=tokens,
                          train_seconds=callback.train_seconds,
                          final_heldout_loss=float(held.iloc[-1]) if len(held) else float("nan"))
