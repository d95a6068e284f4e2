"""Batched log p(text | BOS [+ context]) under a causal LM, summed and averaged over the text's tokens.

Context and text are tokenized separately and concatenated, so exactly the text's own tokens are
scored (no boundary merge shifts the split, unlike tokenizing prompt and prompt+continuation).
A sequence longer than the model's window W is scored in windows: the context is cut from the left
until BOS + context + text fits; a text that alone does not fit is scored with rolling windows that
each score W/2 new tokens conditioned on the W - W/2 tokens before them (so every text token is scored
once, with at least W/2 tokens of left context).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.engines.common import bos_token_id, context_length, encode, evaluation_mode, model_device, pad_token_id
from helpers.progress import progress

COLUMNS = ("sum_logprob", "mean_logprob", "n_tokens")
# float64 logits normalised at once: small chunks stay in cache (8x faster than one pass over the batch)
LOG_SOFTMAX_BUDGET = 1 << 19


def sequence_logprobs(model, tokenizer, texts: Sequence[str], contexts: Sequence[str] | None = None,
                      batch_size: int = 64, add_bos: bool = True) -> pd.DataFrame:
    """Per text: summed and per-token mean log-probability of its tokens, and how many were scored.

    With `add_bos` the BOS (else EOS) id comes first and the first text token is scored conditioned on
    it (and on the context). Without it, and without a context, the first token has nothing to be
    conditioned on and is not scored. An empty text (or one with no scorable token) gets n_tokens 0
    and NaN log-probabilities. Rows follow the input order.
    """
    texts = list(texts)
    if contexts is not None:
        contexts = list(contexts)
        if len(contexts) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(contexts)} contexts")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    text_ids = encode(tokenizer, texts)
    context_ids = encode(tokenizer, contexts) if contexts is not None else [[] for _ in texts]
    head = [bos_token_id(tokenizer)] if add_bos else []
    window = context_length(model)
    segments = []  # (text index, input ids, number of scored tokens at the end of the ids)
    for index, (ctx, ids) in enumerate(zip(context_ids, text_ids)):
        stream = head + ctx + ids
        first_scored = max(len(stream) - len(ids), 1)
        segments.extend((index, piece, n) for piece, n in scoring_windows(stream, first_scored, window))
    sums = np.zeros(len(texts))
    counts = np.zeros(len(texts), dtype=np.int64)
    for index, total, n in _score_segments(model, tokenizer, segments, batch_size):
        sums[index] += total
        counts[index] += n
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    sums = np.where(counts > 0, sums, np.nan)
    return pd.DataFrame({"sum_logprob": sums, "mean_logprob": means, "n_tokens": counts})


def scoring_windows(stream: list[int], first_scored: int, window: int) -> list[tuple[list[int], int]]:
    """Split the scoring of stream[first_scored:] into model-sized inputs: (ids, tokens scored at their end)."""
    end = len(stream)
    if end <= first_scored:
        return []
    if end <= window:
        return [(stream, end - first_scored)]
    if end - first_scored <= window - 1:
        # the text fits: keep it whole with as much of its left context as the window holds
        return [(stream[end - window:], end - first_scored)]
    stride = max(window // 2, 1)
    pieces = []
    stop = min(end, max(window, first_scored + stride))
    start_scored = first_scored
    while start_scored < end:
        pieces.append((stream[max(0, stop - window):stop], stop - start_scored))
        start_scored, stop = stop, min(end, stop + stride)
    return pieces


def _score_segments(model, tokenizer, segments: list[tuple[int, list[int], int]], batch_size: int):
    """Yield (text index, summed log-prob, tokens) per segment; batches of similar length, right-padded."""
    import torch

    if not segments:
        return
    device = model_device(model)
    pad = pad_token_id(tokenizer)
    order = sorted(range(len(segments)), key=lambda s: (-len(segments[s][1]), s))
    with evaluation_mode(model):
        for start in progress(range(0, len(order), batch_size), desc="log-likelihood", unit="batch"):
            batch = [segments[s] for s in order[start:start + batch_size]]
            width = max(len(ids) for _, ids, _ in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (_, seq, _) in enumerate(batch):
                ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
                mask[row, :len(seq)] = 1
            ids, mask = ids.to(device), mask.to(device)
            logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1]
            token_logprobs = _target_logprobs(logits, ids[:, 1:]).cpu()  # [batch, width - 1]
            for row, (index, seq, n) in enumerate(batch):
                # target j of row is token j + 1; the last n real tokens are scored
                scored = token_logprobs[row, len(seq) - 1 - n:len(seq) - 1]
                yield index, float(scored.sum()), n


def _target_logprobs(logits, targets):
    """log_softmax(logits)[target] in float64: float32 normalisation alone drifts by ~1e-5 over a sentence."""
    import torch

    rows = max(1, LOG_SOFTMAX_BUDGET // max(1, logits.shape[1] * logits.shape[2]))
    pieces = []
    for start in range(0, logits.shape[0], rows):
        chunk = torch.log_softmax(logits[start:start + rows].double(), dim=-1)
        pieces.append(chunk.gather(-1, targets[start:start + rows].unsqueeze(-1)).squeeze(-1))
    return torch.cat(pieces)


def corpus_perplexity(model, tokenizer, texts: Sequence[str], batch_size: int = 64, add_bos: bool = True) -> float:
    """Token-weighted perplexity exp(-sum log p / number of scored tokens) over all texts; NaN if none."""
    frame = sequence_logprobs(model, tokenizer, texts, batch_size=batch_size, add_bos=add_bos)
    return perplexity_from_logprobs(frame)


def perplexity_from_logprobs(frame: pd.DataFrame) -> float:
    """Token-weighted perplexity of a `sequence_logprobs` frame (texts with no scored token are skipped)."""
    scored = frame[frame["n_tokens"] > 0]
    tokens = int(scored["n_tokens"].sum())
    if tokens == 0:
        return float("nan")
    return math.exp(-float(scored["sum_logprob"].sum()) / tokens)
