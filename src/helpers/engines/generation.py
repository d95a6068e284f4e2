"""Batched sampling of k continuations per prompt with a KV cache, per-row random streams and a disk cache.

Why not `model.generate`: the papers' loop calls it once per prompt, which leaves the CPU idle on tiny
models, and `generate` silently applies top_k=50. Here many prompts x k samples share each forward
pass, each prompt is encoded once (its KV cache is copied to its k rows), finished rows leave the
batch, and every row draws its uniforms from its own generator seeded by (seed, prompt text,
occurrence, sample), so a continuation does not depend on the batch size or on the other prompts
(up to float rounding of batched matrix products, which could only flip a draw that falls within
~1e-7 of a token boundary). Two models sampled with the same seed share their uniforms per prompt:
common random numbers, which make paired comparisons of models less noisy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import io
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
from helpers.seeding import derived_seed

# bump when the sampling algorithm changes: it is part of the cache key
ENGINE_VERSION = "2"
COLUMNS = ("prompt_index", "sample", "continuation", "n_new_tokens", "truncated_prompt")
# finished rows are dropped from the batch once they are at least this share of it (copying the
# KV cache costs about one decoding step, so compacting after every single finished row would not pay)
COMPACT_SHARE = 0.125


@dataclass(frozen=True)
class DecodingConfig:
    """How continuations are drawn: k samples of at most `max_new_tokens`, nucleus/top-k/temperature."""

    num_samples: int
    max_new_tokens: int
    top_p: float = 0.9
    top_k: int = 0  # 0 = no top-k filter (pure nucleus sampling)
    temperature: float = 1.0
    do_sample: bool = True

    def __post_init__(self) -> None:
        problems = []
        if not _is_int(self.num_samples) or self.num_samples < 1:
            problems.append(f"num_samples must be an int >= 1, got {self.num_samples!r}")
        if not _is_int(self.max_new_tokens) or self.max_new_tokens < 1:
            problems.append(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if not isinstance(self.top_p, (int, float)) or isinstance(self.top_p, bool) or not 0.0 < self.top_p <= 1.0:
            problems.append(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not _is_int(self.top_k) or self.top_k < 0:
            problems.append(f"top_k must be an int >= 0 (0 = off), got {self.top_k!r}")
        if (not isinstance(self.temperature, (int, float)) or isinstance(self.temperature, bool)
                or not 0.0 < self.temperature < float("inf")):
            problems.append(f"temperature must be > 0 and finite, got {self.temperature!r}")
        if not isinstance(self.do_sample, bool):
            problems.append(f"do_sample must be a bool, got {self.do_sample!r}")
        elif not self.do_sample and self.num_samples != 1:
            problems.append("greedy decoding (do_sample=False) gives k identical samples; use num_samples=1")
        if problems:
            raise ValueError("invalid DecodingConfig: " + "; ".join(problems))

    def caption(self) -> str:
        """The decoding protocol in words, for table captions."""
        if not self.do_sample:
            return f"greedy, k=1, {self.max_new_tokens} new tokens"
        top_k = f"top-k {self.top_k}" if self.top_k else "no top-k"
        return (f"k={self.num_samples} samples, {self.max_new_tokens} new tokens, top-p {self.top_p}, "
                f"{top_k}, T={self.temperature}")


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def generate_continuations(model, tokenizer, prompts: Sequence[str], decoding: DecodingConfig, seed: int,
                           batch_size: int = 64, cache_dir: Path | None = None, model_digest: str | None = None,
                           prefix: str = "", add_bos: bool = True) -> pd.DataFrame:
    """Sample `decoding.num_samples` continuations per prompt; one row per (prompt_index, sample).

    Each sequence is BOS (if `add_bos`, and always for an empty prompt) + tokens of `prefix + prompt`.
    A prompt longer than `context - max_new_tokens` keeps BOS and the prefix and loses its leftmost
    tokens (`truncated_prompt`). A row stops at EOS (not part of the continuation, not counted in
    `n_new_tokens`); continuations are decoded without special tokens. With `model_digest` and
    `cache_dir` the frame is cached under a key of (engine version, model digest and dtype, tokenizer,
    prompts, prefix, decoding, seed, add_bos) and a rerun returns it without touching the model.
    """
    if not isinstance(decoding, DecodingConfig):
        raise TypeError(f"decoding must be a DecodingConfig, got {type(decoding).__name__}")
    if not _is_int(batch_size) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    prompts = list(prompts)
    cache_file = None
    if model_digest is not None and cache_dir is not None:
        key = generation_cache_key(model, tokenizer, prompts, decoding, seed, model_digest, prefix, add_bos)
        cache_file = Path(cache_dir) / f"generations-{key[:32]}.parquet"
        if cache_file.is_file():
            return pd.read_parquet(cache_file)
    frame = _generate(model, tokenizer, prompts, decoding, seed, batch_size, prefix, add_bos)
    if cache_file is not None:
        io.write_parquet(cache_file, frame)
    return frame


def generation_cache_key(model, tokenizer, prompts: Sequence[str], decoding: DecodingConfig, seed: int,
                         model_digest: str, prefix: str = "", add_bos: bool = True) -> str:
    """sha256 naming one generation run; batch size and device are left out as they do not change the draws."""
    payload = {
        "engine": ENGINE_VERSION,
        "model_digest": model_digest,
        "dtype": str(next(model.parameters()).dtype),
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "prompts": list(prompts),
        "prefix": prefix,
        "decoding": asdict(decoding),
        "seed": int(seed),
        "add_bos": bool(add_bos),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def tokenizer_fingerprint(tokenizer) -> str:
    """sha256 of the tokenizer's full definition (vocabulary, merges, special tokens)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else json.dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def row_seeds(prompts: Sequence[str], num_samples: int, seed: int) -> np.ndarray:
    """Seed of each (prompt, sample) row, shape (n_prompts, k): same prompt text and seed, same stream.

    A repeated prompt text gets fresh streams per occurrence, so duplicates are not copies of each other.
    """
    seen: dict[str, int] = {}
    seeds = np.empty((len(prompts), num_samples), dtype=np.int64)
    for i, prompt in enumerate(prompts):
        occurrence = seen.get(prompt, 0)
        seen[prompt] = occurrence + 1
        text_key = io.text_sha256(prompt)
        for j in range(num_samples):
            seeds[i, j] = derived_seed(seed, "generation", text_key, occurrence, j)
    return seeds


def _encode_prompts(tokenizer, prompts: list[str], prefix: str, budget: int, add_bos: bool
                    ) -> tuple[list[list[int]], list[bool]]:
    """Token ids per prompt (BOS + prefix + prompt), left-truncated to `budget`, with truncation flags."""
    joint = encode(tokenizer, [prefix + p for p in prompts])
    prefix_ids = encode(tokenizer, [prefix])[0] if prefix else []
    sequences, truncated = [], []
    for prompt, ids in zip(prompts, joint):
        head = [bos_token_id(tokenizer)] if (add_bos or not ids) else []
        if len(head) + len(ids) <= budget:
            sequences.append(head + ids)
            truncated.append(False)
            continue
        room = budget - len(head) - len(prefix_ids)
        if room < 1:
            raise ValueError(f"the prefix alone ({len(prefix_ids)} tokens) leaves no room for the prompt in a "
                             f"budget of {budget} tokens (context minus max_new_tokens)")
        prompt_ids = encode(tokenizer, [prompt])[0]
        sequences.append(head + prefix_ids + prompt_ids[-room:])
        truncated.append(True)
    return sequences, truncated


def _generate(model, tokenizer, prompts: list[str], decoding: DecodingConfig, seed: int, batch_size: int,
              prefix: str, add_bos: bool) -> pd.DataFrame:
    """Run the sampling loop over all prompts x samples; returns the long frame in (prompt, sample) order."""
    k = decoding.num_samples
    window = context_length(model)
    budget = window - decoding.max_new_tokens
    if budget < 1:
        raise ValueError(f"max_new_tokens={decoding.max_new_tokens} leaves no room for a prompt in the "
                         f"model's context of {window} positions")
    sequences, truncated = _encode_prompts(tokenizer, prompts, prefix, budget, add_bos)
    seeds = row_seeds(prompts, k, seed)
    n_rows = len(prompts) * k
    new_tokens: list[list[int]] = [[] for _ in range(n_rows)]
    # longest prompts first: equal lengths share a batch (little padding) and memory peaks early
    order = sorted(range(n_rows), key=lambda r: (-len(sequences[r // k]), r))
    with evaluation_mode(model):
        for start in progress(range(0, n_rows, batch_size), desc="generation", unit="batch"):
            rows = order[start:start + batch_size]
            generated = _generate_batch(model, tokenizer, sequences, rows, k, seeds, decoding)
            for row, tokens in zip(rows, generated):
                new_tokens[row] = tokens
    texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True) if n_rows else []
    frame = pd.DataFrame({
        "prompt_index": np.repeat(np.arange(len(prompts), dtype=np.int64), k),
        "sample": np.tile(np.arange(k, dtype=np.int64), len(prompts)),
        "continuation": pd.Series(texts, dtype="str"),
        "n_new_tokens": np.array([len(t) for t in new_tokens], dtype=np.int64),
        "truncated_prompt": np.repeat(np.array(truncated, dtype=bool), k),
    })
    return frame[list(COLUMNS)]


def _generate_batch(model, tokenizer, sequences: list[list[int]], rows: list[int], k: int, seeds: np.ndarray,
                    decoding: DecodingConfig) -> list[list[int]]:
    """New token ids (EOS excluded) for the given rows; each row is (prompt = row // k, sample = row % k)."""
    import torch

    device = model_device(model)
    eos = tokenizer.eos_token_id
    pad = pad_token_id(tokenizer)
    steps = decoding.max_new_tokens
    extra = {"logits_to_keep": 1} if forward_accepts(model, "logits_to_keep") else {}
    uniforms = torch.stack([
        torch.rand(steps, generator=torch.Generator().manual_seed(int(seeds[r // k, r % k])), dtype=torch.float64)
        for r in rows
    ]).to(device)
    cache, logits, mask, can_select = _prefill(model, sequences, [r // k for r in rows], pad, extra)
    next_position = mask.sum(-1)  # position of the first new token, per row

    active = torch.arange(len(rows), device=device)  # batch position -> index into `rows`
    finished = torch.zeros(len(rows), dtype=torch.bool, device=device)
    collected: list[list[int]] = [[] for _ in rows]
    for step in range(steps):
        tokens = choose_tokens(logits, uniforms[:, step], decoding)
        if eos is not None:
            finished = finished | (tokens == eos)
        for row_index, token, stop in zip(active.tolist(), tokens.tolist(), finished.tolist()):
            if not stop:
                collected[row_index].append(token)
        if step == steps - 1 or bool(finished.all()):
            break
        if can_select and int(finished.sum()) >= max(1, int(COMPACT_SHARE * len(active))):
            kept = (~finished).nonzero().squeeze(-1)
            cache.batch_select_indices(kept)
            active, tokens, mask, finished = active[kept], tokens[kept], mask[kept], finished[kept]
            next_position, uniforms = next_position[kept], uniforms[kept]
        # finished rows still in the batch run on a pad token; what they draw is never collected
        tokens = torch.where(finished, torch.full_like(tokens, pad), tokens)
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=-1)
        out = model(input_ids=tokens[:, None], attention_mask=mask, position_ids=next_position[:, None],
                    past_key_values=cache, use_cache=True, **extra)
        cache, logits = out.past_key_values, out.logits[:, -1]
        next_position = next_position + 1
    return collected


def _prefill(model, sequences: list[list[int]], prompt_of_row: list[int], pad: int, extra: dict):
    """Encode each distinct prompt once and copy its KV cache to its rows: (cache, last logits, mask, selectable)."""
    import torch

    device = model_device(model)
    unique = sorted(set(prompt_of_row))
    slot = {p: i for i, p in enumerate(unique)}
    row_to_slot = torch.tensor([slot[p] for p in prompt_of_row], device=device)
    # left padding: every prompt's last token sits in the last column, where the first new token is predicted
    width = max(len(sequences[p]) for p in unique)
    ids = torch.full((len(unique), width), pad, dtype=torch.long)
    mask = torch.zeros((len(unique), width), dtype=torch.long)
    for i, p in enumerate(unique):
        ids[i, width - len(sequences[p]):] = torch.tensor(sequences[p], dtype=torch.long)
        mask[i, width - len(sequences[p]):] = 1
    ids, mask = ids.to(device), mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **extra)
    cache = out.past_key_values
    if hasattr(cache, "batch_select_indices"):
        cache.batch_select_indices(row_to_slot)
        return cache, out.logits[:, -1][row_to_slot], mask[row_to_slot], True
    # a cache that cannot select rows: encode the prompts again, one copy per row
    ids, mask, positions = ids[row_to_slot], mask[row_to_slot], positions[row_to_slot]
    out = model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **extra)
    return out.past_key_values, out.logits[:, -1], mask, False


def choose_tokens(logits, uniforms, decoding: DecodingConfig):
    """Next token per row: argmax, or inverse-CDF sampling from the temperature/top-k/top-p filtered distribution.

    One uniform per row and step picks the token (the cumulative sum runs in vocabulary order), so
    the draw is a pure function of the row's own stream. Top-p follows `transformers`: sort the
    probabilities ascending, drop those whose cumulative mass is <= 1 - top_p, always keep the most
    likely token; tokens tied with the least likely kept one are all kept.
    """
    import torch

    logits = logits.float()
    if not decoding.do_sample:
        return logits.argmax(dim=-1)
    logits = logits / decoding.temperature
    vocab = logits.shape[-1]
    if 0 < decoding.top_k < vocab:
        kth = torch.topk(logits, decoding.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if decoding.top_p < 1.0:
        ascending = _sorted_ascending(probs)
        removed = (ascending.cumsum(dim=-1) <= 1.0 - decoding.top_p).sum(dim=-1).clamp(max=vocab - 1)
        smallest_kept = ascending.gather(-1, removed.unsqueeze(-1))
        probs = probs.masked_fill(probs < smallest_kept, 0.0)
    cumulative = probs.double().cumsum(dim=-1)
    target = (uniforms.double() * cumulative[:, -1]).unsqueeze(-1)
    position = torch.searchsorted(cumulative, target, right=True).clamp(max=vocab - 1)
    return position.squeeze(-1)


def _sorted_ascending(probs):
    """Each row's probabilities in ascending order (values only: the threshold needs no permutation)."""
    import torch

    if probs.device.type == "cpu":
        # numpy's vectorised sort is ~4x faster than torch.sort here and was the decoding step's bottleneck
        return torch.from_numpy(np.sort(probs.contiguous().numpy(), axis=-1))
    return torch.sort(probs, dim=-1).values
