"""The seam every fine-tuning notebook plugs into: start from a carded model, train, save a card 05 discovers.

A run is (method, seed, PEFT variant) on top of a parent card (`modeling.resolve_card(profile, base_model)`).
Three trainers share one `TrainingConfig`, one schedule, one progress line and one log table:
- `continued_training`: causal-LM training on documents (DAPT, SGEAT, BIAS_SFT), the loop of
  `helpers.training.causal_lm`, the same seeded packing as 01;
- `helpers.training.sft.train_sft`: TRL's SFTTrainer on prompt/completion pairs (SR_LLM, 03's
  SFT-on-chosen controls);
- `helpers.training.dpo.train_dpo`: TRL's DPOTrainer on preference pairs (03).
Each returns a `TrainingResult`; `save_finetuned` writes the model (full, an adapter, or an adapter
merged into full weights), `model_card.json` with the seam's fields, `training_log.csv` and
`training_summary.json` under `<stage folder>/models/<name>/`, `name = <method>[_<peft>]-s<seed>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import io
from helpers.modeling import ModelCard, count_trainable_parameters, model_name, save_model
from helpers.training.causal_lm import (
    LOG_FILE,
    SUMMARY_FILE,
    HeldoutBlocks,
    TrainingConfig,
    TrainingResult,
    make_accelerator,
    tokenize,
    train_causal_lm,
)
from helpers.training.peft_variants import FULL, finish_model, prepare_model
from helpers.training.pretraining import PretrainingRun, training_stream


# one finished run (card, model, log, summary, timing): the same record as 01's runs
FinetuneRun = PretrainingRun


def run_method_name(method: str, peft: str = FULL) -> str:
    """The card's method: the paper method for full fine-tuning, `<method>_<peft>` for a PEFT variant."""
    return method if peft == FULL else f"{method}_{peft}"


def run_name(method: str, seed: int, peft: str = FULL) -> str:
    """The model's name, e.g. `DAPT-s1` or `DAPT_lora16-s1`."""
    return model_name(run_method_name(method, peft), seed)


def continued_training(model, tokenizer, documents: pd.DataFrame, heldout: HeldoutBlocks, config: TrainingConfig,
                       peft: str = FULL, checkpoint_dir: Path | None = None, progress: bool = True,
                       initial_heldout_loss: float | None = None) -> TrainingResult:
    """Causal-LM training of `model` on `documents` (`text`, `language`, optional `toxic`) for the token budget.

    The documents are packed as in pretraining (joined by EOS, seeded order by `config.seed`, whole
    epochs again when the corpus is smaller than the budget); `details` records what was read.
    `initial_heldout_loss` (the parent's loss on `heldout`) stands in for the first held-out evaluation.
    """
    if documents.empty:
        raise ValueError("no training documents")
    toxic = documents["toxic"].to_numpy(dtype=bool) if "toxic" in documents else np.zeros(len(documents), bool)
    accelerator = make_accelerator(config)
    stream = training_stream(tokenize(tokenizer, documents["text"].tolist()), documents["language"].tolist(), toxic,
                             tokenizer.eos_token_id, config.context_length,
                             config.blocks_needed(accelerator.num_processes), config.seed)
    model, report = prepare_model(model, peft, lora_dropout=config.lora_dropout)
    result = train_causal_lm(model, stream.blocks, heldout, config, accelerator, checkpoint_dir, progress,
                             initial_heldout_loss)
    result.details.update({"documents": int(len(documents)), "documents_seen": stream.documents,
                           "epochs": stream.epochs, "language_token_shares": stream.language_shares(),
                           "toxic_document_token_share": round(stream.toxic_tokens / max(1, stream.tokens), 6),
                           "peft": report.as_dict()})
    return result


def save_finetuned(result: TrainingResult, tokenizer, stage_dir: Path, *, method: str, seed: int, parent: ModelCard,
                   stage: str, peft: str = FULL, merge: bool = False, train_languages: list[str] | None = None,
                   summary: dict[str, Any] | None = None, notes: str = "") -> FinetuneRun:
    """Save a trained model under `stage_dir/models/<name>/` with its card, log and summary.

    A PEFT model is saved as an adapter on `parent` (05 loads parent + adapter), or with `merge` as full
    weights; either way the card says which variant trained it. The parent's generation prefix is kept:
    a fine-tuned MEDA/INST model still reads the control it was pretrained with.
    """
    trainable = count_trainable_parameters(result.model)
    model = finish_model(result.model, merge)
    adapter = peft != FULL and not merge
    name = run_name(method, seed, peft)
    model_dir = Path(stage_dir) / "models" / name
    card = ModelCard(
        name=name, method=run_method_name(method, peft), stage=stage, seed=seed, base=parent.base,
        path=f"models/{name}", generation_prefix=parent.generation_prefix, prefixes=dict(parent.prefixes),
        family=method, parent=parent.name, parent_digest=parent.model_digest, peft=peft, adapter=adapter,
        train_languages=sorted(train_languages or []), train_tokens=int(result.tokens),
        trainable_parameters=trainable, notes=notes,
    )
    card = save_model(model, tokenizer, model_dir, card)
    full_summary = {"steps": result.steps, "tokens": result.tokens,
                    "final_heldout_loss": round(result.final_heldout_loss, 6), **result.details, **(summary or {}),
                    "parameters": card.parameters, "trainable_parameters": card.trainable_parameters,
                    "model_digest": card.model_digest}
    timing = {"train_seconds": round(result.train_seconds, 2), "tokens_per_second": round(result.tokens_per_second, 1)}
    io.write_text(model_dir / LOG_FILE, result.log.to_csv(index=False))
    io.write_json(model_dir / SUMMARY_FILE, {**full_summary, **timing})
    return FinetuneRun(card=card, model=model, log=result.log, summary=full_summary, timing=timing)
