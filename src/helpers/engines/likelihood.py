"""Batched log p(text | BOS [+ context]) under a causal LM, summed and averaged over the text's tokens.

Context and text are tokenized separately and concatenated, so exactly the text's own tokens are
scored (no boundary merge shifts the split, unlike tokenizing prompt and prompt+continuation).
A sequence longer than the model's window W is scored in windows: the context is cut from the left
until BOS + context + text fits; a text that alone does not fit is scored with rolling windows that
each score W/2 new tokens conditioned on the W - W/2 tokens before them (so every text token is scored
once, with at least W/2 tokens of left context).

Speed: sequences are sorted by length and cut into batches of at most `max_batch_tokens` positions
whose padding stays under `MAX_PADDING_SHARE` (length buckets; equal lengths share a batch unpadded),
right-padded, so that no attention mask is needed (the kernel's causal path). The output layer and the
normaliser run on the scored positions only (a boolean `logits_to_keep`): not on padding, context or
a row's last position.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from helpers.engines.common import (
    bos_token_id,
    context_length,
    encode,
    evaluation_mode,
    forward_accepts,
    model_device,
    pad_token_id,
)
from helpers.progress import progress

COLUMNS = ("sum_logprob", "mean_logprob", "n_tokens")
# positions (rows x width) per forward pass when the caller gives no batch size: large enough that the
# matrix products run near the machine's rate, small enough that the activations (the MLP's 4d-wide
# GELU input, the scored positions' logits) stay in the L3 cache. Measured on 2 cores (benchmarks/):
# 1024 beat 8192 by 15-25% on 5M and 20M GPT-2s, 512 lost again on the 20M one
MAX_BATCH_TOKENS = 1024
# a batch's padded positions stay below this share of its positions (short sequences are not padded to
# long ones); together with the sort this bounds the work spent on padding in the transformer body
MAX_PADDING_SHARE = 0.1
# logits normalised at once: small chunks stay in cache
LOG_SOFTMAX_BUDGET = 1 << 19


def sequence_logprobs(model, tokenizer, texts: Sequence[str], contexts: Sequence[str] | None = None,
                      batch_size: int | None = None, add_bos: bool = True,
                      max_batch_tokens: int = MAX_BATCH_TOKENS) -> pd.DataFrame:
    """Per text: summed and per-token mean log-probability of its tokens, and how many were scored.

    With `add_bos` the BOS (else EOS) id comes first and the first text token is scored conditioned on
    it (and on the context). Without it, and without a context, the first token has nothing to be
    conditioned on and is not scored. An empty text (or one with no scorable token) gets n_tokens 0
    and NaN log-probabilities. Rows follow the input order. `batch_size` caps the rows per forward
    pass (None: only `max_batch_tokens` limits them); neither changes the values beyond float rounding.
    """
    texts = list(texts)
    if contexts is not None:
        contexts = list(contexts)
        if len(contexts) != len(texts):
            raise ValueError(f"got {len(texts)} texts but {len(contexts)} contexts")
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"batch_size must be an int >= 1 or None, got {batch_size!r}")
    if not isinstance(max_batch_tokens, int) or max_batch_tokens < 1:
        raise ValueError(f"max_batch_tokens must be an int >= 1, got {max_batch_tokens!r}")
    text_ids = encode(tokenizer, texts)
    context_ids = _encode_contexts(tokenizer, contexts) if contexts is not None else [[] for _ in texts]
    head = [bos_token_id(tokenizer)] if add_bos else []
    window = context_length(model)
    segments = []  # (text index, input ids, number of scored tokens at the end of the ids)
    for index, (ctx, ids) in enumerate(zip(context_ids, text_ids)):
        stream = head + ctx + ids
        first_scored = max(len(stream) - len(ids), 1)
        segments.extend((index, piece, n) for piece, n in scoring_windows(stream, first_scored, window))
    sums = np.zeros(len(texts))
    counts = np.zeros(len(texts), dtype=np.int64)
    for index, total, n in _score_segments(model, tokenizer, segments, batch_size, max_batch_tokens):
        sums[index] += total
        counts[index] += n
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    sums = np.where(counts > 0, sums, np.nan)
    return pd.DataFrame({"sum_logprob": sums, "mean_logprob": means, "n_tokens": counts})


def sequence_logprobs_requests(model, tokenizer, requests: Sequence[tuple[Sequence[str], Sequence[str] | None]],
                               batch_size: int | None = None, add_bos: bool = True,
                               max_batch_tokens: int = MAX_BATCH_TOKENS) -> list[pd.DataFrame]:
    """`sequence_logprobs` of several (texts, contexts) requests in one pass: one frame per request.

    Pooling them lets the length buckets fill across requests (CrowS sentences, probe candidates and
    held-out documents of one model share batches); each frame is what the request alone gives.
    """
    texts, contexts, sizes = [], [], []
    for request_texts, request_contexts in requests:
        request_texts = list(request_texts)
        if request_contexts is not None and len(request_contexts) != len(request_texts):
            raise ValueError(f"got {len(request_texts)} texts but {len(request_contexts)} contexts")
        texts.extend(request_texts)
        contexts.extend(list(request_contexts) if request_contexts is not None else [""] * len(request_texts))
        sizes.append(len(request_texts))
    frame = sequence_logprobs(model, tokenizer, texts, contexts=contexts, batch_size=batch_size, add_bos=add_bos,
                              max_batch_tokens=max_batch_tokens)
    bounds = np.cumsum([0, *sizes])
    return [frame.iloc[start:stop].reset_index(drop=True) for start, stop in zip(bounds[:-1], bounds[1:])]


def _encode_contexts(tokenizer, contexts: list[str]) -> list[list[int]]:
    """Token ids of each context; a context repeated (a prompt's k continuations) is encoded once."""
    distinct = list(dict.fromkeys(contexts))
    ids = dict(zip(distinct, encode(tokenizer, distinct)))
    return [ids[c] for c in contexts]


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


def length_buckets(lengths: Sequence[int], max_rows: int | None, max_tokens: int,
                   max_padding_share: float = MAX_PADDING_SHARE, scored: Sequence[int] | None = None
                   ) -> list[list[int]]:
    """Batches of segment indices, longest first: each within `max_tokens` padded positions and `max_rows`
    rows, its padding at most `max_padding_share` of its positions (a single row is never padded).

    Equal lengths are ordered by `scored` (tokens scored per segment), most first, so that a batch's rows
    score similar numbers of tokens (the output layer runs on each batch's last max(scored) + 1 columns).
    """
    scored = scored if scored is not None else [0] * len(lengths)
    order = sorted(range(len(lengths)), key=lambda s: (-lengths[s], -scored[s], s))
    batches: list[list[int]] = []
    current: list[int] = []
    real = 0
    for s in order:
        if current:
            width = lengths[current[0]]
            rows = len(current) + 1
            padded = rows * width
            if (padded > max_tokens or (max_rows is not None and rows > max_rows)
                    or padded - (real + lengths[s]) > max_padding_share * padded):
                batches.append(current)
                current, real = [], 0
        current.append(s)
        real += lengths[s]
    if current:
        batches.append(current)
    return batches


def _score_segments(model, tokenizer, segments: list[tuple[int, list[int], int]], batch_size: int | None,
                    max_batch_tokens: int) -> Iterator[tuple[int, float, int]]:
    """Yield (text index, summed log-prob, tokens) per segment; length-bucketed, right-padded batches.

    Right padding needs no padding mask: under the causal mask a row's real positions attend only to
    the positions before them, which are all real, so the pads after them change nothing (and the
    attention kernel takes its unmasked causal path). The output layer runs on the scored positions only:
    `logits_to_keep` as a (rows x width) boolean mask gives their logits flattened in row order.
    """
    import torch

    if not segments:
        return
    device = model_device(model)
    pad = pad_token_id(tokenizer)
    keep_logits = forward_accepts(model, "logits_to_keep")
    batches = length_buckets([len(ids) for _, ids, _ in segments], batch_size, max_batch_tokens,
                             scored=[n for _, _, n in segments])
    with evaluation_mode(model):
        for batch in progress(batches, desc="log-likelihood", unit="batch"):
            rows = [segments[s] for s in batch]
            width = len(rows[0][1])
            ids = torch.full((len(rows), width), pad, dtype=torch.long)
            # position j's logits predict token j + 1: row r scores the n_r positions before its last one
            wanted = torch.zeros((len(rows), width), dtype=torch.bool)
            for row, (_, seq, n) in enumerate(rows):
                ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
                wanted[row, len(seq) - 1 - n:len(seq) - 1] = True
            targets = ids.roll(-1, dims=1)[wanted].to(device)
            ids, wanted = ids.to(device), wanted.to(device)
            extra = {"logits_to_keep": wanted} if keep_logits else {}
            # all ones (see the docstring): `transformers` then skips the mask for the causal kernel, and does not
            # warn about pad ids without a mask
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False, **extra).logits
            if logits.dim() == 3:  # a model that ignores a mask-valued logits_to_keep returns every position
                logits = logits[wanted]
            token_logprobs = _target_logprobs(logits, targets).cpu().numpy()
            ends = np.cumsum([n for _, _, n in rows])
            for (index, _, n), end in zip(rows, ends):
                yield index, float(token_logprobs[end - n:end].sum()), n


def _target_logprobs(logits, targets):
    """log_softmax(logits)[target] per row: exp in float32, the normaliser summed in float64.

    The subtraction of the row maximum and the final log run in float64, so the result agrees with a
    float64 log-softmax of the same logits to ~1e-7 per token (a float32 log-softmax drifts by ~1e-5
    over a sentence) at half its cost.
    """
    import torch

    out = torch.empty(logits.shape[0], dtype=torch.float64, device=logits.device)
    rows = max(1, LOG_SOFTMAX_BUDGET // max(1, logits.shape[-1]))
    for start in range(0, logits.shape[0], rows):
        chunk = logits[start:start + rows].float()
        peak = chunk.max(dim=-1, keepdim=True).values
        mass = (chunk - peak).exp_().sum(dim=-1, dtype=torch.float64)
        target = chunk.gather(-1, targets[start:start + rows].unsqueeze(-1)).squeeze(-1).double()
        out[start:start + rows] = target - peak.squeeze(-1).double() - mass.log()
    return out


def corpus_perplexity(model, tokenizer, texts: Sequence[str], batch_size: int | None = None,
                      add_bos: bool = True) -> float:
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
