"""What both engines need to know about a model and its tokenizer: device, context, special tokens."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

# used when a config names no context length (e.g. some custom models): effectively unbounded
UNBOUNDED_CONTEXT = 1 << 30


def model_device(model):
    """Device of the model's first parameter (where inputs must go)."""
    return next(model.parameters()).device


def context_length(model) -> int:
    """Largest number of positions the model accepts (GPT-2 `n_positions`, Llama `max_position_embeddings`)."""
    config = getattr(model, "config", None)
    for name in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return UNBOUNDED_CONTEXT


def bos_token_id(tokenizer) -> int:
    """Id that starts a document: BOS, else EOS (GPT-2 style models use `<|endoftext|>` for both)."""
    for candidate in (tokenizer.bos_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return int(candidate)
    raise ValueError("the tokenizer has neither a BOS nor an EOS token; pass add_bos=False or set one")


def pad_token_id(tokenizer) -> int:
    """Id used to fill padded positions (never attended to, so any valid id works)."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.bos_token_id):
        if candidate is not None:
            return int(candidate)
    return 0


def encode(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text without any special token; BOS is added explicitly by the engines."""
    texts = list(texts)
    if not texts:
        return []
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"texts must be strings; item {bad[0]} is {type(texts[bad[0]]).__name__}")
    return [list(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def forward_accepts(model, name: str) -> bool:
    """Whether the model's forward (or the base model's, behind a PEFT wrapper) names this argument."""
    candidates = [model]
    base = getattr(model, "get_base_model", None)
    if callable(base):
        candidates.append(base())
    for candidate in candidates:
        if name in inspect.signature(candidate.forward).parameters:
            return True
    return False


@contextmanager
def evaluation_mode(model) -> Iterator[None]:
    """Dropout off and no gradients for the block; the model's training flag is restored afterwards."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def merged_for_inference(model):
    """The model with its PEFT LoRA/IA3 adapters merged into the base weights; any other model unchanged.

    A merged adapter computes the same function with one matrix product per layer instead of three (on
    the tiny models of the study, the adapters' extra small operations cost more than their FLOPs).
    Other adapter kinds (prompt tuning, a custom bottleneck module) are left as they are.
    """
    try:
        from peft import PeftModel, PeftType
    except ImportError:
        return model
    if not isinstance(model, PeftModel):
        return model
    if not {config.peft_type for config in model.peft_config.values()} <= {PeftType.LORA, PeftType.IA3}:
        return model
    return model.merge_and_unload()
