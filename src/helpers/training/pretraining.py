"""Causal-LM pretraining of BASE, MEDA and INST on the same documents and token budget.

Documents are tokenized, joined with the end-of-text token and cut into blocks of the context
length; AdamW with linear warm-up and cosine decay, gradient clipping, a seeded document order,
a held-out loss curve, checkpoints and a training log. The loop runs through `accelerate`, so
`accelerate launch` spreads it over GPUs; on a CPU it is a plain loop. With a pretrained model
the same code does continued pretraining.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import io
from helpers.progress import progress as progress_bar
from helpers.seeding import derived_seed
from helpers.training.augmentation import (
    AugmentationConfig,
    augment_documents,
    control_prefixes,
    document_prefix,
    is_toxic,
)

LOG_FILE = "training_log.csv"
SUMMARY_FILE = "training_summary.json"


@dataclass(frozen=True)
class TrainingConfig:
    """Token budget, batch shape, optimiser and schedule of one pretraining run."""

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


@dataclass
class PackedStream:
    """Training blocks cut from documents in a seeded order, with what they contain."""

    blocks: np.ndarray  # [n_blocks, context_length] token ids
    language_tokens: dict[str, int]
    toxic_tokens: int
    order: np.ndarray  # document indices in the order they entered the stream
    epochs: int

    @property
    def documents(self) -> int:
        """Distinct documents (whole or partly) in the stream."""
        return int(len(np.unique(self.order)))

    @property
    def tokens(self) -> int:
        """Tokens in the blocks."""
        return int(self.blocks.size)

    def language_shares(self) -> dict[str, float]:
        """Share of the trained tokens per document language."""
        total = sum(self.language_tokens.values())
        return {k: round(v / total, 6) for k, v in sorted(self.language_tokens.items())}


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


def document_order(n_documents: int, seed: int, epoch: int) -> np.ndarray:
    """The seeded permutation of documents in one epoch; identical for every method."""
    return np.random.default_rng(derived_seed(seed, "document-order", epoch)).permutation(n_documents)


def training_stream(token_lists: Sequence[Sequence[int]], languages: Sequence[str], toxic: Sequence[bool],
                    eos_id: int, context_length: int, n_blocks: int, seed: int) -> PackedStream:
    """Exactly `n_blocks` blocks from documents in seeded order, starting new epochs when the corpus runs out."""
    if not token_lists:
        raise ValueError("no training documents")
    needed = n_blocks * context_length
    lengths = np.array([len(t) + 1 for t in token_lists])
    if lengths.sum() < context_length:
        raise ValueError(f"the corpus holds {lengths.sum()} tokens, fewer than one block of {context_length}")
    chosen: list[int] = []
    language_tokens: dict[str, int] = {}
    toxic_tokens = 0
    total, epoch = 0, 0
    while total < needed:
        for doc in document_order(len(token_lists), seed, epoch):
            used = int(min(lengths[doc], needed - total))
            chosen.append(int(doc))
            language_tokens[languages[doc]] = language_tokens.get(languages[doc], 0) + used
            toxic_tokens += used if toxic[doc] else 0
            total += used
            if total >= needed:
                break
        epoch += 1
    blocks = pack_documents([token_lists[d] for d in chosen], eos_id, context_length, n_blocks)
    return PackedStream(blocks=blocks, language_tokens=language_tokens, toxic_tokens=toxic_tokens,
                        order=np.asarray(chosen, dtype=np.int64), epochs=epoch)


def cosine_schedule(total_steps: int, warmup_steps: int, min_fraction: float) -> Callable[[int], float]:
    """Learning-rate multiplier: linear warm-up to 1, then cosine decay to `min_fraction`."""

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_fraction + (1.0 - min_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return multiplier


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


def _optimizer(model, config: TrainingConfig):
    import torch

    # decaying norms and biases only hurts small models; decay the matrices
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    keep = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                              {"params": keep, "weight_decay": 0.0}], lr=config.learning_rate, betas=(0.9, 0.95))


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
    """What one run produced: the trained model, its log and throughput."""

    model: Any
    log: pd.DataFrame
    steps: int
    tokens: int
    train_seconds: float
    final_heldout_loss: float

    @property
    def tokens_per_second(self) -> float:
        """Training throughput, evaluation time excluded."""
        return self.tokens / max(self.train_seconds, 1e-9)


def pretrain(model, blocks: np.ndarray, heldout: HeldoutBlocks, config: TrainingConfig, accelerator=None,
             checkpoint_dir: Path | None = None, progress: bool = True) -> TrainingResult:
    """Train a causal LM on packed blocks in the given order; log train and held-out loss every `eval_interval`."""
    import torch
    from torch.utils.data import DataLoader

    accelerator = accelerator or make_accelerator(config)
    processes = accelerator.num_processes
    steps = config.total_steps(processes)
    needed = steps * config.batch_size * config.grad_accum_steps * processes
    if len(blocks) < needed:
        raise ValueError(f"{len(blocks)} blocks given, {needed} needed for {steps} steps")
    model.train()
    optimizer = _optimizer(model, config)
    warmup = int(round(config.warmup_fraction * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_schedule(steps, warmup, config.min_lr_fraction))
    loader = DataLoader(torch.from_numpy(blocks[:needed]), batch_size=config.batch_size, shuffle=False)
    # the scheduler stays unprepared: accelerate would step it once per process, bending the schedule
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    unwrapped = accelerator.unwrap_model(model)
    rows: list[dict[str, float]] = []
    window: list = []  # per-micro-batch loss tensors since the last log row
    step, train_seconds = 0, 0.0

    def record(train_loss: float) -> None:
        held = heldout_loss(unwrapped, heldout, config.batch_size, accelerator)
        rows.append({"step": step, "tokens": step * config.tokens_per_step(processes),
                     "lr": scheduler.get_last_lr()[0], "train_loss": train_loss, "heldout_loss": held,
                     "seconds": round(train_seconds, 3)})
        if progress and accelerator.is_main_process:
            speed = rows[-1]["tokens"] / max(train_seconds, 1e-9)
            print(f"  step {step:>5}/{steps}  tokens {rows[-1]['tokens']:>10,}  train {train_loss:6.3f}  "
                  f"held-out {held:6.3f}  {speed:8,.0f} tok/s", flush=True)

    record(float("nan"))
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
    log = pd.DataFrame(rows)
    return TrainingResult(model=unwrapped, log=log, steps=step, tokens=step * config.tokens_per_step(processes),
                          train_seconds=train_seconds, final_heldout_loss=float(log["heldout_loss"].iloc[-1]))


@dataclass
class PretrainingRun:
    """One method's finished run: its saved model's card, training log, data summary and timing."""

    card: Any
    model: Any
    log: pd.DataFrame
    summary: dict[str, Any]
    timing: dict[str, float] = field(default_factory=dict)


def corpus_splits(corpus: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out documents of a pretraining corpus (schema `pretraining_corpus`)."""
    train = corpus[corpus["split"] == "train"].reset_index(drop=True)
    heldout = corpus[corpus["split"] == "heldout"].sort_values("doc_id").reset_index(drop=True)
    if train.empty or heldout.empty:
        raise ValueError(f"the corpus needs train and heldout documents, got {len(train)} and {len(heldout)}")
    return train, heldout


def heldout_blocks(tokenizer, heldout: pd.DataFrame, context_length: int, max_tokens: int, method: str = "BASE",
                   augmentation: AugmentationConfig | None = None) -> HeldoutBlocks:
    """Held-out documents in `method`'s format, packed; only document tokens (and EOS) are scored.

    Each document keeps its own prefix as context, as in training, so that every method is scored
    on the same document tokens and the losses compare (a MEDA/INST model fed plain text would be
    judged on a format it never saw).
    """
    texts = heldout["text"].tolist()
    if method == "BASE":
        prefixes = [""] * len(texts)
    else:
        prefixes = [document_prefix(method, s, augmentation or AugmentationConfig())
                    for s in heldout["toxicity"].to_numpy(dtype=float)]
    prefix_ids = tokenize(tokenizer, prefixes) if any(prefixes) else [[] for _ in texts]
    text_ids = tokenize(tokenizer, texts)
    n_blocks = max(1, max_tokens // context_length)
    ids = pack_documents([p + t for p, t in zip(prefix_ids, text_ids)], tokenizer.eos_token_id, context_length,
                         n_blocks)
    scored = pack_documents([[0] * len(p) + [1] * len(t) for p, t in zip(prefix_ids, text_ids)], 1, context_length,
                            n_blocks)
    return HeldoutBlocks(ids=ids, scored=scored.astype(bool))


def train_method(method: str, corpus: pd.DataFrame, tokenizer, new_model: Callable[[], Any],
                 config: TrainingConfig, augmentation: AugmentationConfig, out_dir: Path, base: str,
                 stage: str = "01_pretraining", progress: bool = True) -> PretrainingRun:
    """Format the corpus for `method`, pretrain a fresh model on the token budget, save it with its card and log."""
    from helpers import modeling

    train, heldout = corpus_splits(corpus)
    missing = int(corpus["toxicity"].isna().sum())
    if method != "BASE" and missing:
        raise ValueError(f"{method} needs the `toxicity` score of every document; {missing} are missing "
                         "(00_data fills them)")
    texts = augment_documents(method, train["text"].tolist(), train["toxicity"].to_numpy(dtype=float), augmentation)
    plain_tokens = tokenize(tokenizer, train["text"].tolist())
    token_lists = plain_tokens if method == "BASE" else tokenize(tokenizer, texts)
    toxic = is_toxic(train["toxicity"].fillna(0.0).to_numpy(dtype=float), augmentation.toxicity_threshold)
    accelerator = make_accelerator(config)
    steps = config.total_steps(accelerator.num_processes)
    n_blocks = steps * config.batch_size * config.grad_accum_steps * accelerator.num_processes
    stream = training_stream(token_lists, train["language"].tolist(), toxic, tokenizer.eos_token_id,
                             config.context_length, n_blocks, config.seed)
    held = heldout_blocks(tokenizer, heldout, config.context_length, config.eval_tokens, method, augmentation)
    model_dir = Path(out_dir) / "models" / method
    if progress:
        print(f"{method}: {steps} steps x {config.tokens_per_step(accelerator.num_processes):,} tokens, "
              f"{stream.documents:,} documents, {len(held.ids)} held-out blocks", flush=True)
    result = pretrain(new_model(), stream.blocks, held, config, accelerator, model_dir / "checkpoints", progress)
    prefixes = control_prefixes(method, augmentation)
    card = modeling.ModelCard(
        name=method, method=method, stage=stage, seed=config.seed, base=base, path=f"models/{method}",
        generation_prefix=prefixes.get("nontoxic", ""), prefixes=prefixes,
        notes=f"pretrained on {result.tokens:,} tokens ({stream.documents:,} documents, {stream.epochs} epoch(s)); "
              + ("plain documents" if method == "BASE" else f"each document prefixed by its {method} control"),
    )
    if accelerator.is_main_process:
        card = modeling.save_model(result.model, tokenizer, model_dir, card)
    control_tokens = sum(map(len, token_lists)) - sum(map(len, plain_tokens))
    summary = {
        "steps": result.steps, "tokens": result.tokens, "documents_seen": stream.documents, "epochs": stream.epochs,
        "final_heldout_loss": round(result.final_heldout_loss, 6),
        "language_token_shares": stream.language_shares(),
        "toxic_document_token_share": round(stream.toxic_tokens / stream.tokens, 6),
        "control_token_share": round(control_tokens / (sum(map(len, token_lists)) + len(token_lists)), 6),
        "parameters": card.parameters, "model_digest": card.model_digest,
    }
    timing = {"train_seconds": round(result.train_seconds, 2), "tokens_per_second": round(result.tokens_per_second, 1)}
    if accelerator.is_main_process:
        io.write_text(model_dir / LOG_FILE, result.log.to_csv(index=False))
        io.write_json(model_dir / SUMMARY_FILE, {**summary, **timing})
    return PretrainingRun(card=card, model=result.model, log=result.log, summary=summary, timing=timing)
