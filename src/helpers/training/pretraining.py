"""Causal-LM pretraining of BASE, MEDA and INST on the same documents and token budget.

Documents are tokenized, joined with the end-of-text token and cut into blocks of the context
length; AdamW with linear warm-up and cosine decay, gradient clipping, a seeded document order,
a held-out loss curve, checkpoints and a training log. The loop itself is
`helpers.training.causal_lm` (shared with the fine-tuning of 02). With a pretrained model the same
code does continued pretraining.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import io
from helpers.seeding import derived_seed
from helpers.training.augmentation import (
    AugmentationConfig,
    augment_documents,
    control_prefixes,
    document_prefix,
    is_toxic,
)
# the generic loop lives in causal_lm; these names stay importable from here (01 and its tests use them)
from helpers.training.causal_lm import (  # noqa: F401
    LOG_FILE,
    SUMMARY_FILE,
    HeldoutBlocks,
    TrainingConfig,
    TrainingResult,
    heldout_loss,
    make_accelerator,
    pack_documents,
    pretrain,
    tokenize,
)


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
