"""Supervised fine-tuning through TRL's `SFTTrainer` on prompt/completion pairs, with the loss on the completion.

The pairs are tokenized here, not by TRL: BOS + prompt + completion + EOS, with the prompt and the
completion tokenized separately, so the boundary is exactly where the generation engine puts it at
inference (BOS + prompt, then the model writes) and no token merges across it. The completion mask
marks the completion and its EOS; `SFTTrainer` turns it into the labels (`completion_only_loss`).
The token budget (`TrainingConfig.train_tokens`) becomes whole optimiser steps of the mean example
length; the actual count is what TRL logged (`num_tokens`: prompt and completion tokens, no padding).

Notebook 02 trains SR_LLM with it; 03's SFT-on-chosen controls call it with the DPO pairs' prompts and
chosen responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.engines.common import bos_token_id
from helpers.training.causal_lm import TrainingConfig, TrainingResult, tokenize
from helpers.training.peft_variants import FULL, prepare_model
from helpers.training.trl_common import quiet_datasets, run_trainer, steps_for_budget, trainer_arguments


@dataclass
class SFTExamples:
    """Tokenized prompt/completion examples and what they hold."""

    input_ids: list[list[int]]
    completion_mask: list[list[int]]
    truncated: int  # examples cut at max_length (their completion's end is not trained on)
    dropped: int = 0  # examples whose prompt alone fills max_length (nothing of the completion would be trained on)

    @property
    def tokens(self) -> int:
        """Tokens over all examples (prompt and completion, BOS and EOS)."""
        return int(sum(map(len, self.input_ids)))

    @property
    def completion_tokens(self) -> int:
        """Tokens the loss is computed on."""
        return int(sum(map(sum, self.completion_mask)))

    def mean_length(self) -> float:
        """Mean tokens per example."""
        return self.tokens / max(1, len(self.input_ids))

    def dataset(self):
        """A `datasets.Dataset` that TRL takes as already processed."""
        from datasets import Dataset

        return Dataset.from_dict({"input_ids": self.input_ids, "completion_mask": self.completion_mask})


def tokenize_pairs(tokenizer, prompts: list[str], completions: list[str], max_length: int,
                   add_bos: bool = True) -> SFTExamples:
    """BOS + prompt + completion + EOS per pair, cut at `max_length` (keeping the start); completion masked in.

    As TRL does, a longer example is truncated (counted in `truncated`); one whose prompt alone fills
    `max_length` is left out (counted in `dropped`), and none left is an error.
    """
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but {len(completions)} completions")
    head = [bos_token_id(tokenizer)] if add_bos else []
    eos = tokenizer.eos_token_id
    input_ids, masks, truncated, dropped = [], [], 0, 0
    for prompt, completion in zip(tokenize(tokenizer, prompts), tokenize(tokenizer, completions)):
        ids = head + list(prompt) + list(completion) + [eos]
        mask = [0] * (len(head) + len(prompt)) + [1] * (len(completion) + 1)
        cut = len(ids) > max_length
        ids, mask = ids[:max_length], mask[:max_length]
        if not any(mask):
            dropped += 1
            continue
        truncated += int(cut)
        input_ids.append(ids)
        masks.append(mask)
    if not input_ids:
        raise ValueError(f"every one of the {len(prompts)} prompts alone fills max_length={max_length} tokens, so no "
                         "completion would be trained on; shorten the prompt template or use a longer context")
    return SFTExamples(input_ids=input_ids, completion_mask=masks, truncated=truncated, dropped=dropped)


def train_sft(model, tokenizer, train: pd.DataFrame, config: TrainingConfig, output_dir: Path,
              heldout: pd.DataFrame | None = None, peft: str = FULL, max_steps: int | None = None,
              progress: bool = True, **overrides: Any) -> TrainingResult:
    """Fine-tune on `train`'s `prompt`/`completion` rows with SFTTrainer; loss on completions, budget in tokens.

    `heldout` (same columns) gives the held-out loss curve (completion loss). `peft` names the variant
    (`helpers.training.peft_variants`); the returned model is still wrapped (save it as an adapter or
    merge it). `max_steps` overrides the token budget; `overrides` go to `SFTConfig`.
    """
    from trl import SFTConfig, SFTTrainer

    examples = tokenize_pairs(tokenizer, train["prompt"].tolist(), train["completion"].tolist(),
                              config.context_length)
    held = None
    if heldout is not None and len(heldout):
        held = tokenize_pairs(tokenizer, heldout["prompt"].tolist(), heldout["completion"].tolist(),
                              config.context_length)
    steps = max_steps or steps_for_budget(config, examples.mean_length())
    model, report = prepare_model(model, peft, lora_dropout=config.lora_dropout)
    args = trainer_arguments(SFTConfig, config, Path(output_dir), steps, evaluate=held is not None,
                             max_length=config.context_length, packing=False, completion_only_loss=True,
                             **overrides)
    quiet_datasets()
    trainer = SFTTrainer(model=model, args=args, train_dataset=examples.dataset(),
                         eval_dataset=held.dataset() if held is not None else None, processing_class=tokenizer)
    result = run_trainer(trainer, steps, progress)
    epochs = result.tokens / max(1, examples.tokens)
    result.details.update({
        "examples": len(examples.input_ids), "example_tokens": examples.tokens,
        "completion_token_share": round(examples.completion_tokens / max(1, examples.tokens), 6),
        "truncated_examples": examples.truncated, "dropped_examples": examples.dropped, "epochs": round(float(epochs), 3),
        "mean_example_tokens": round(float(np.mean([len(i) for i in examples.input_ids])), 2),
        "peft": report.as_dict(),
    })
    return result
