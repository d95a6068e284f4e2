"""The study's causal-LM training loop: packed blocks, AdamW, one learning-rate schedule, held-out loss.

Used for pretraining from scratch (01: BASE, MEDA, INST) and for continued training of a saved model
on any corpus (02: DAPT, SGEAT; later BIAS_SFT). Documents are tokenized, joined with the end-of-text
token and cut into blocks of the context length; AdamW with gradient clipping and the study's one
schedule (`LR_SCHEDULE`: linear warm-up, cosine decay to a floor, from transformers, the same type the
TRL trainers of `helpers.training.trl_common` use); a held-out loss curve, checkpoints and a log whose
columns every trainer of the study shares (`LOG_COLUMNS`). The loop runs through `accelerate`, so
`accelerate launch` spreads it over GPUs; on a CPU it is a plain loop. A PEFT-wrapped model trains its
adapter only (the optimiser takes the parameters that require gradients).

Why a loop of our own and not `transformers.Trainer`: pretraining needs the exact same packed blocks,
in the same seeded order, for every method (the comparisons of 01 and 02 rest on it) and a held-out loss
on a fixed set of scored tokens; the loop is short and keeps those two guarantees visible.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.progress import progress as progress_bar

LOG_FILE = "training_log.csv"
SUMMARY_FILE = "training_summary.json"
# the columns of training_log.csv, for every trainer of the study (TRL trainers add their own after these)
LOG_COLUMNS = ("step", "tokens", "lr", "train_loss", "heldout_loss", "seconds")
# transformers' name of the study's one learning-rate schedule (`get_scheduler`, `TrainingArguments`)
LR_SCHEDULE = "cosine_with_min_lr"


@dataclass(frozen=True)
class TrainingConfig:
    """Token budget, batch shape, optimiser and schedule of one causal-LM training run."""

    train_tokens: int
    batch_size: int
    context_length: int
    learning_rate: float
    seed: int
    grad_accum_steps: int = 1
    warmup_fraction: float = 0.05
    min_lr_fraction: float = 0.1
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_interval: int = 50
    eval_tokens: int = 16_384
    checkpoint_interval: int = 0
    device: str = "auto"
    # dropout on a LoRA adapter's input (the papers' recipes use 0.05-0.2); unused by other variants
    lora_dropout: float = 0.1

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context_length: int | None = None) -> TrainingConfig:
        """Build from a stage's parameters; `context_length` overrides the parameter (a pretrained model's limit)."""
        return cls(train_tokens=params["train_tokens"], batch_size=params["batch_size"],
                   context_length=context_length or params["context_length"], learning_rate=params["learning_rate"],
                   seed=params["seed"], grad_accum_steps=params["grad_accum_steps"],
                   warmup_fraction=params["warmup_fraction"], min_lr_fraction=params["min_lr_fraction"],
                   weight_decay=params["weight_decay"], grad_clip=params["grad_clip"],
                   eval_interval=params["eval_interval"], eval_tokens=params["eval_tokens"],
                   checkpoint_interval=params["checkpoint_interval"], device=params["device"])

    def tokens_per_step(self, processes: int = 1) -> int:
        """Tokens consumed by one optimiser step over all processes."""
        return self.batch_size * self.grad_accum_steps * self.context_length * processes

    def total_steps(self, processes: int = 1) -> int:
        """Optimiser steps that spend the token budget (rounded up to whole steps)."""
        return max(1, math.ceil(self.train_tokens / self.tokens_per_step(processes)))

    def warmup_steps(self, total_steps: int) -> int:
        """Optimiser steps of linear warm-up."""
        return int(round(self.warmup_fraction * total_steps))

    def blocks_needed(self, processes: int = 1) -> int:
        """Packed blocks the budget consumes (whole steps)."""
        return self.total_steps(processes) * self.batch_size * self.grad_accum_steps * processes


def tokenize(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, without special tokens (the end-of-text separator is added by packing)."""
    return tokenizer(list(texts), add_special_tokens=False)["input_ids"]


def pack_documents(token_lists: Sequence[Sequence[int]], eos_id: int, context_length: int,
                   n_blocks: int | None = None) -> np.ndarray:
    """Join documents with `eos_id` and cut into full blocks; the trailing partial block is dropped."""
    pieces = [np.asarray(list(ids) + [eos_id], dtype=np.int64) for ids in token_lists]
    stream = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    available = len(stream) // context_length
    count = available if n_blocks is None else min(n_blocks, available)
    return stream[: count * context_length].reshape(count, context_length)


def make_accelerator(config: TrainingConfig):
    """An `accelerate.Accelerator` for the configured device: bf16 autocast on GPUs, plain float32 on CPU."""
    from accelerate import Accelerator

    from helpers.device import resolve_device

    device = resolve_device(config.device)
    precision = "no"
    if device == "cuda":
        import torch

        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return Accelerator(cpu=device == "cpu", mixed_precision=precision,
                       gradient_accumulation_steps=config.grad_accum_steps)


def make_optimizer(model, config: TrainingConfig):
    """AdamW over the trainable parameters; weight decay on matrices only (decaying norms and biases hurts small models)."""
    import torch

    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    keep = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    if not decay and not keep:
        raise ValueError("the model has no trainable parameter (a PEFT wrapper that matched no module?)")
    return torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                              {"params": keep, "weight_decay": 0.0}], lr=config.learning_rate, betas=(0.9, 0.95))


def make_scheduler(optimizer, total_steps: int, warmup_steps: int, min_lr_fraction: float):
    """The study's schedule from transformers: linear warm-up from 0, cosine decay to `min_lr_fraction` of the peak."""
    from transformers import get_scheduler

    return get_scheduler(LR_SCHEDULE, optimizer, num_warmup_steps=warmup_steps, num_training_steps=total_steps,
                         scheduler_specific_kwargs={"min_lr_rate": min_lr_fraction})


@dataclass
class HeldoutBlocks:
    """Packed held-out documents and which of their tokens the loss scores (control prefixes are not)."""

    ids: np.ndarray  # [n_blocks, context_length]
    scored: np.ndarray  # same shape, bool

    @classmethod
    def plain(cls, ids: np.ndarray) -> HeldoutBlocks:
        """Every token scored."""
        return cls(ids=ids, scored=np.ones_like(ids, dtype=bool))


def heldout_loss(model, heldout: HeldoutBlocks, batch_size: int, accelerator=None) -> float:
    """Mean next-token cross-entropy (nats) over the scored tokens of held-out blocks."""
    import torch

    if len(heldout.ids) == 0:
        return float("nan")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    context = accelerator.autocast() if accelerator is not None else contextlib.nullcontext()
    with torch.no_grad(), context:
        for start in range(0, len(heldout.ids), batch_size):
            batch = torch.from_numpy(heldout.ids[start:start + batch_size]).to(device)
            scored = torch.from_numpy(heldout.scored[start:start + batch_size]).to(device)
            labels = batch.masked_fill(~scored, -100)
            # the first position of a block has no left context and is never a target
            tokens = int(scored[:, 1:].sum())
            if tokens == 0:
                continue
            total += float(model(input_ids=batch, labels=labels).loss) * tokens
            count += tokens
    model.train(was_training)
    return total / count if count else float("nan")


@dataclass
class TrainingResult:
    """What one run produced: the trained model, its log (`LOG_COLUMNS` first) and throughput."""

    model: Any
    log: pd.DataFrame
    steps: int
    tokens: int
    train_seconds: float
    final_heldout_loss: float
    details: dict[str, Any] = field(default_factory=dict)  # trainer-specific facts (data, PEFT wrap)

    @property
    def tokens_per_second(self) -> float:
        """Training throughput, evaluation time excluded."""
        return self.tokens / max(self.train_seconds, 1e-9)


def progress_line(step: int, steps: int, tokens: int, train_loss: float, heldout: float, seconds: float) -> str:
    """The one line every trainer prints per logging step: step, tokens, losses, tokens/s."""
    speed = tokens / max(seconds, 1e-9)
    return (f"  step {step:>5}/{steps}  tokens {tokens:>10,}  train {train_loss:6.3f}  "
            f"held-out {heldout:6.3f}  {speed:8,.0f} tok/s")


def train_causal_lm(model, blocks: np.ndarray, heldout: HeldoutBlocks, config: TrainingConfig, accelerator=None,
                    checkpoint_dir: Path | None = None, progress: bool = True,
                    initial_heldout_loss: float | None = None) -> TrainingResult:
    """Train a causal LM on packed blocks in the given order; log train and held-out loss every `eval_interval`.

    The model may be freshly built (pretraining), a saved model (continued training) or a PEFT-wrapped
    model (only its adapter trains); the token budget is `config.train_tokens` in whole steps.
    `initial_heldout_loss`, when the caller already scored the untrained model on `heldout` (every run of a
    fine-tuning notebook starts from the same parent), is logged at step 0 instead of scoring it again.
    """
    import torch
    from torch.utils.data import DataLoader

    accelerator = accelerator or make_accelerator(config)
    processes = accelerator.num_processes
    steps = config.total_steps(processes)
    needed = config.blocks_needed(processes)
    if len(blocks) < needed:
        raise ValueError(f"{len(blocks)} blocks given, {needed} needed for {steps} steps")
    model.train()
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, steps, config.warmup_steps(steps), config.min_lr_fraction)
    loader = DataLoader(torch.from_numpy(blocks[:needed]), batch_size=config.batch_size, shuffle=False)
    # the scheduler stays unprepared: accelerate would step it once per process, bending the schedule
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    unwrapped = accelerator.unwrap_model(model)
    rows: list[dict[str, float]] = []
    window: list = []  # per-micro-batch loss tensors since the last log row
    step, train_seconds = 0, 0.0

    def record(train_loss: float, held: float | None = None) -> None:
        if held is None:
            held = heldout_loss(unwrapped, heldout, config.batch_size, accelerator)
        rows.append({"step": step, "tokens": step * config.tokens_per_step(processes),
                     "lr": scheduler.get_last_lr()[0], "train_loss": train_loss, "heldout_loss": held,
                     "seconds": round(train_seconds, 3)})
        if progress and accelerator.is_main_process:
            print(progress_line(step, steps, rows[-1]["tokens"], train_loss, held, train_seconds), flush=True)

    record(float("nan"), initial_heldout_loss)
    started = time.perf_counter()
    for batch in (progress_bar(loader, desc="training", unit="batch") if progress and accelerator.is_main_process
                  else loader):
        with accelerator.accumulate(model):
            loss = model(input_ids=batch, labels=batch).loss
            accelerator.backward(loss)
            if accelerator.sync_gradients:
                accelerator.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        window.append(loss.detach())
        if not accelerator.sync_gradients:
            continue
        scheduler.step()
        step += 1
        if step % config.eval_interval == 0 or step == steps:
            mean_loss = accelerator.reduce(torch.stack(window).mean(), reduction="mean")
            train_seconds += time.perf_counter() - started
            record(float(mean_loss))
            window = []
            if checkpoint_dir is not None and config.checkpoint_interval and step % config.checkpoint_interval == 0 \
                    and step < steps and accelerator.is_main_process:
                unwrapped.save_pretrained(str(Path(checkpoint_dir) / f"step-{step:06d}"))
            started = time.perf_counter()
    train_seconds += time.perf_counter() - started
    accelerator.wait_for_everyone()
    unwrapped.eval()
    log = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
    return TrainingResult(model=unwrapped, log=log, steps=step, tokens=step * config.tokens_per_step(processes),
                          train_seconds=train_seconds, final_heldout_loss=float(log["heldout_loss"].iloc[-1]))


# the name 01 has always called it by
pretrain = train_causal_lm
