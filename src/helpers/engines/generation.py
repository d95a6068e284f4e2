"""Batched sampling of k continuations per prompt with a KV cache, per-row random streams and a disk cache.

Why not `model.generate`: the papers' loop calls it once per prompt, which leaves the CPU idle on tiny
models, and `generate` silently applies top_k=50. Here many prompts x k samples share each forward
pass (several benchmarks' prompts too, `generate_requests`), each distinct prompt is encoded once (its
KV cache is copied to its k rows), the KV cache is preallocated and written in place (no per-step
concatenation), finished rows leave the batch, and every row draws its uniforms from its own generator
seeded by (seed, prompt text, occurrence, sample), so a continuation does not depend on the batch size
or on the other prompts (up to float rounding of batched matrix products, which could only flip a draw
that falls within ~1e-7 of a token boundary). Two models sampled with the same seed share their uniforms
per prompt: common random numbers, which make paired comparisons of models less noisy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
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
COMPACT_MIN_STEPS = 3
# automatic batch size: rows per forward pass such that the KV cache and the per-row vocabulary buffers
# stay within this many bytes, between the two bounds (measured in benchmarks/: larger batches keep
# gaining on CPU, the per-step overhead and the weights' reads spread over more rows; on the 20M benchmark
# model 512 rows drew 25% more per second than the 207 of a 192 MiB budget, 800 rows less again)
AUTO_BATCH_BYTES = 512 << 20
AUTO_BATCH_ROWS = (64, 1024)
# the nucleus is searched among each row's most likely tokens first (a partial sort of at least this many;
# the decoding loop adapts it to the nuclei it sees); rows whose nucleus is wider sort their whole distribution
NUCLEUS_CANDIDATES = 64
# the nucleus is cut in blocks of rows of at most this many probabilities (their temporaries stay in
# cache: 2-3x faster than one pass over a 1024 x 8k batch), the blocks spread over torch's threads
CHUNK_ELEMENTS = 1 << 19
# running sums over a distribution are taken in blocks of this many tokens (see first_above)
SUM_BLOCK = 64


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

    def sampling(self) -> tuple:
        """Everything but k: requests that agree on it can share forward passes."""
        return (self.max_new_tokens, float(self.top_p), int(self.top_k), float(self.temperature), self.do_sample)


@dataclass(frozen=True)
class GenerationRequest:
    """Prompts to continue under one decoding protocol, each conditioned on `prefix` (a control text)."""

    prompts: tuple[str, ...]
    decoding: DecodingConfig
    prefix: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "prompts", tuple(self.prompts))
        if not isinstance(self.decoding, DecodingConfig):
            raise TypeError(f"decoding must be a DecodingConfig, got {type(self.decoding).__name__}")


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def generate_continuations(model, tokenizer, prompts: Sequence[str], decoding: DecodingConfig, seed: int,
                           batch_size: int | None = None, cache_dir: Path | None = None,
                           model_digest: str | None = None, prefix: str = "", add_bos: bool = True) -> pd.DataFrame:
    """Sample `decoding.num_samples` continuations per prompt; one row per (prompt_index, sample).

    Each sequence is BOS (if `add_bos`, and always for an empty prompt) + tokens of `prefix + prompt`.
    A prompt longer than `context - max_new_tokens` keeps BOS and the prefix and loses its leftmost
    tokens (`truncated_prompt`). A row stops at EOS (not part of the continuation, not counted in
    `n_new_tokens`); continuations are decoded without special tokens. With `model_digest` and
    `cache_dir` the frame is cached under a key of (engine version, model digest and dtype, tokenizer,
    prompts, prefix, decoding, seed, add_bos) and a rerun returns it without touching the model.
    `batch_size` (rows per forward pass) changes speed and memory only; None picks it from memory.
    """
    if not isinstance(decoding, DecodingConfig):
        raise TypeError(f"decoding must be a DecodingConfig, got {type(decoding).__name__}")
    request = GenerationRequest(tuple(prompts), decoding, prefix)
    return generate_requests(model, tokenizer, [request], seed, batch_size=batch_size, cache_dir=cache_dir,
                             model_digest=model_digest, add_bos=add_bos)[0]


def generate_requests(model, tokenizer, requests: Sequence[GenerationRequest], seed: int,
                      batch_size: int | None = None, cache_dir: Path | None = None, model_digest: str | None = None,
                      add_bos: bool = True) -> list[pd.DataFrame]:
    """`generate_continuations` for several requests at once: one frame per request, each as if alone.

    Requests whose decoding agrees on everything but k share forward passes (rows of all of them are
    pooled and batched by prompt length), which keeps batches full when each request alone is small.
    Each request is cached on its own, so a changed request does not regenerate the others.
    """
    if batch_size is not None and (not _is_int(batch_size) or batch_size < 1):
        raise ValueError(f"batch_size must be an int >= 1 or None (automatic), got {batch_size!r}")
    requests = list(requests)
    frames: list[pd.DataFrame | None] = [None] * len(requests)
    cache_files: dict[int, Path] = {}
    pending: dict[tuple, list[int]] = {}
    for index, request in enumerate(requests):
        if not isinstance(request, GenerationRequest):
            raise TypeError(f"requests must be GenerationRequest objects; item {index} is {type(request).__name__}")
        if model_digest is not None and cache_dir is not None:
            key = generation_cache_key(model, tokenizer, request.prompts, request.decoding, seed, model_digest,
                                       request.prefix, add_bos)
            cache_files[index] = Path(cache_dir) / f"generations-{key[:32]}.parquet"
            if cache_files[index].is_file():
                frames[index] = pd.read_parquet(cache_files[index])
                continue
        pending.setdefault(request.decoding.sampling(), []).append(index)
    for members in pending.values():
        for index, frame in zip(members, _generate_pooled(model, tokenizer, [requests[i] for i in members], seed,
                                                          batch_size, add_bos)):
            frames[index] = frame
            if index in cache_files:
                io.write_parquet(cache_files[index], frame)
    return frames


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
    """sha256 of the tokenizer's full definition (vocabulary, merges, special tokens); memoised per object."""
    cached = getattr(tokenizer, "_helpers_fingerprint", None)
    if cached is not None:
        return cached
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else json.dumps(sorted(tokenizer.get_vocab().items()))
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
    try:
        tokenizer._helpers_fingerprint = fingerprint
    except AttributeError:  # a tokenizer that refuses new attributes is hashed every time
        pass
    return fingerprint


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


def _encode_prompts(tokenizer, prompts: Sequence[str], prefix: str, budget: int, add_bos: bool
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


@dataclass
class _Rows:
    """The pooled rows of several requests: prompt ids per row, its seed, and where each request's rows are."""

    sequences: list[list[int]] = field(default_factory=list)  # per distinct prompt of a request
    prompt_of_row: list[int] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    spans: list[tuple[int, int, int, list[bool]]] = field(default_factory=list)  # (first row, n prompts, k, truncated)


def _generate_pooled(model, tokenizer, requests: list[GenerationRequest], seed: int, batch_size: int | None,
                     add_bos: bool) -> list[pd.DataFrame]:
    """Sample every request's rows in shared batches; returns one frame per request in (prompt, sample) order."""
    decoding = requests[0].decoding
    window = context_length(model)
    budget = window - decoding.max_new_tokens
    if budget < 1:
        raise ValueError(f"max_new_tokens={decoding.max_new_tokens} leaves no room for a prompt in the "
                         f"model's context of {window} positions")
    rows = _Rows()
    for request in requests:
        sequences, truncated = _encode_prompts(tokenizer, request.prompts, request.prefix, budget, add_bos)
        k = request.decoding.num_samples
        rows.spans.append((len(rows.prompt_of_row), len(sequences), k, truncated))
        first_prompt = len(rows.sequences)
        rows.sequences.extend(sequences)
        rows.prompt_of_row.extend(first_prompt + i for i in range(len(sequences)) for _ in range(k))
        rows.seeds.extend(row_seeds(request.prompts, k, seed).reshape(-1).tolist())
    n_rows = len(rows.prompt_of_row)
    lengths = [len(rows.sequences[p]) for p in rows.prompt_of_row]
    new_tokens: list[list[int]] = [[] for _ in range(n_rows)]
    if n_rows:
        rows_per_batch = batch_size or auto_batch_size(model, max(lengths) + decoding.max_new_tokens)
        # longest prompts first: equal lengths share a batch (little padding) and memory peaks early
        order = sorted(range(n_rows), key=lambda r: (-lengths[r], r))
        with evaluation_mode(model):
            for start in progress(range(0, n_rows, rows_per_batch), desc="generation", unit="batch"):
                batch = order[start:start + rows_per_batch]
                generated = _generate_batch(model, tokenizer, [rows.sequences[rows.prompt_of_row[r]] for r in batch],
                                            [rows.seeds[r] for r in batch], decoding)
                for row, tokens in zip(batch, generated):
                    new_tokens[row] = tokens
    texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True) if n_rows else []
    frames = []
    for first, n_prompts, k, truncated in rows.spans:
        span = slice(first, first + n_prompts * k)
        frame = pd.DataFrame({
            "prompt_index": np.repeat(np.arange(n_prompts, dtype=np.int64), k),
            "sample": np.tile(np.arange(k, dtype=np.int64), n_prompts),
            "continuation": pd.Series(texts[span], dtype="str"),
            "n_new_tokens": np.array([len(t) for t in new_tokens[span]], dtype=np.int64),
            "truncated_prompt": np.repeat(np.array(truncated, dtype=bool), k),
        })
        frames.append(frame[list(COLUMNS)])
    return frames


def auto_batch_size(model, positions: int) -> int:
    """Rows per forward pass whose KV cache (`positions` per row) and vocabulary buffers fit AUTO_BATCH_BYTES."""
    config = getattr(model, "config", None)
    get = lambda *names: next((int(getattr(config, n)) for n in names if isinstance(getattr(config, n, None), int)), 0)
    layers = get("n_layer", "num_hidden_layers") or 12
    width = get("n_embd", "hidden_size") or 768
    vocab = get("vocab_size") or 50000
    element = next(model.parameters()).element_size()
    per_row = 2 * layers * positions * width * element + 4 * vocab * 8
    low, high = AUTO_BATCH_ROWS
    return int(min(high, max(low, AUTO_BATCH_BYTES // max(per_row, 1))))


def _generate_batch(model, tokenizer, sequences: list[list[int]], seeds: list[int], decoding: DecodingConfig
                    ) -> list[list[int]]:
    """New token ids (EOS excluded) of each row, a row being a prompt's token ids and its random stream's seed."""
    import torch

    device = model_device(model)
    eos = tokenizer.eos_token_id
    pad = pad_token_id(tokenizer)
    steps = decoding.max_new_tokens
    extra = {"logits_to_keep": 1} if forward_accepts(model, "logits_to_keep") else {}
    uniforms = torch.stack([torch.rand(steps, generator=torch.Generator().manual_seed(int(s)), dtype=torch.float64)
                            for s in seeds]).to(device)
    cache, logits, mask, can_select = _prefill(model, sequences, pad, extra, steps)
    width = mask.shape[1] - steps
    next_position = mask[:, :width].sum(-1)  # position of the first new token, per row

    n = len(sequences)
    active = torch.arange(n, device=device)  # batch position -> row
    finished = torch.zeros(n, dtype=torch.bool, device=device)
    collected = torch.full((n, steps), -1, dtype=torch.long, device=device)
    hint = NucleusHint()
    for step in range(steps):
        tokens = choose_tokens(logits, uniforms[:, step], decoding, hint)
        if eos is not None:
            finished = finished | (tokens == eos)
        collected[active, step] = tokens.masked_fill(finished, -1)
        if step == steps - 1 or bool(finished.all()):
            break
        # compacting copies the kept rows' cache: it pays while a few steps remain
        if (can_select and steps - step > COMPACT_MIN_STEPS
                and int(finished.sum()) >= max(1, int(COMPACT_SHARE * len(active)))):
            kept = (~finished).nonzero().squeeze(-1)
            cache.batch_select_indices(kept)
            active, tokens, mask, finished = active[kept], tokens[kept], mask[kept], finished[kept]
            next_position, uniforms = next_position[kept], uniforms[kept]
        # finished rows still in the batch run on a pad token; what they draw is never collected
        tokens = tokens.masked_fill(finished, pad)
        # a preallocated cache spans every column: those not yet written stay masked
        mask[:, width + step] = 1
        step_mask = mask if can_select else mask[:, :width + step + 1]
        out = model(input_ids=tokens[:, None], attention_mask=step_mask,
                    position_ids=next_position[:, None], past_key_values=cache, use_cache=True, **extra)
        cache, logits = out.past_key_values, out.logits[:, -1]
        next_position = next_position + 1
    # a row's collected ids are a prefix (a finished row stays finished): cut at the first -1
    collected = collected.cpu().numpy()
    lengths = np.where((collected < 0).any(1), (collected < 0).argmax(1), steps)
    return [collected[row, :length].tolist() for row, length in enumerate(lengths)]


def _prefill(model, sequences: list[list[int]], pad: int, extra: dict, steps: int):
    """Encode each distinct prompt once and copy its KV cache to its rows: (cache, last logits, mask, selectable).

    The mask has `steps` extra columns for the new tokens (0 until each is written); the cache has room for
    them too.
    """
    import torch

    device = model_device(model)
    slot: dict[tuple[int, ...], int] = {}
    row_to_slot = [slot.setdefault(tuple(seq), len(slot)) for seq in sequences]
    unique = list(slot)
    # left padding: every prompt's last token sits in the last column, where the first new token is predicted
    width = max(len(seq) for seq in unique)
    ids = torch.full((len(unique), width), pad, dtype=torch.long)
    mask = torch.zeros((len(unique), width + steps), dtype=torch.long)
    for i, seq in enumerate(unique):
        ids[i, width - len(seq):] = torch.tensor(seq, dtype=torch.long)
        mask[i, width - len(seq):width] = 1
    ids, mask = ids.to(device), mask.to(device)
    index = torch.tensor(row_to_slot, device=device)
    positions = (mask[:, :width].cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask[:, :width], position_ids=positions, use_cache=True, **extra)
    prefilled = out.past_key_values
    rows_cache = preallocated_cache(prefilled, index, width + steps)
    if rows_cache is not None:
        return rows_cache, out.logits[:, -1][index], mask[index], True
    # a cache of another kind (e.g. a custom model's tuples): encode the prompts again, one copy per row
    ids, mask, positions = ids[index], mask[index], positions[index]
    out = model(input_ids=ids, attention_mask=mask[:, :width], position_ids=positions, use_cache=True, **extra)
    return out.past_key_values, out.logits[:, -1], mask, False


def preallocated_cache(prefilled, rows, capacity: int):
    """A `transformers` Cache holding `prefilled`'s keys and values for `rows`, with room for `capacity` positions.

    None when `prefilled` is not a cache of plain attention layers (then the caller falls back).
    """
    try:
        from transformers.cache_utils import Cache, DynamicLayer
    except ImportError:
        return None
    if not isinstance(prefilled, Cache) or not prefilled.layers:
        return None
    if any(type(layer) is not DynamicLayer or not layer.is_initialized for layer in prefilled.layers):
        return None
    return Cache(layers=[PreallocatedLayer.from_prefill(layer.keys, layer.values, rows, capacity)
                         for layer in prefilled.layers])


try:
    from transformers.cache_utils import DynamicLayer as _DynamicLayer
except ImportError:  # pragma: no cover - transformers is a dependency of the engines
    _DynamicLayer = object


class PreallocatedLayer(_DynamicLayer):
    """A KV-cache layer with room for every position of the generation, written in place (as `StaticLayer`).

    `DynamicLayer` concatenates the new key/value to the whole cache at every step (a copy of the cache per
    step and layer). Here the buffers are allocated once at prefill, each step writes one column, and
    attention reads the whole buffer: positions not yet written are zeros that the causal mask hides (the
    mask spans the buffer, `get_mask_sizes`), so the attention kernel gets contiguous keys and values and
    copies nothing (a view of the written part would be copied by the kernel at every call).
    """

    # as StaticLayer: tells the mask builder that unwritten positions exist, so it never drops the mask
    is_compileable = True

    @classmethod
    def from_prefill(cls, keys, values, rows, capacity: int) -> PreallocatedLayer:
        """The layer for `rows` of a prefilled cache (keys/values [prompts, heads, width, dim])."""
        import torch

        layer = cls()
        layer.dtype, layer.device = keys.dtype, keys.device
        width = keys.shape[-2]
        layer.keys = torch.zeros((len(rows), keys.shape[1], capacity, keys.shape[-1]), dtype=keys.dtype,
                                 device=keys.device)
        layer.values = torch.zeros((len(rows), values.shape[1], capacity, values.shape[-1]), dtype=values.dtype,
                                   device=values.device)
        layer.keys[:, :, :width] = keys.index_select(0, rows)
        layer.values[:, :, :width] = values.index_select(0, rows)
        layer.length = width
        layer.is_initialized = True
        return layer

    def lazy_initialization(self, key_states, value_states) -> None:
        raise RuntimeError("a PreallocatedLayer is built from a prefilled cache (PreallocatedLayer.from_prefill)")

    def update(self, key_states, value_states, *args, **kwargs):
        """Write the new positions into the buffers; returns the whole buffers."""
        end = self.length + key_states.shape[-2]
        if end > self.keys.shape[-2]:
            raise RuntimeError(f"the KV cache holds {self.keys.shape[-2]} positions; {end} were needed")
        self.keys[:, :, self.length:end] = key_states
        self.values[:, :, self.length:end] = value_states
        self.length = end
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.keys.shape[-2], 0

    def get_max_length(self) -> int:
        return self.keys.shape[-2]

    def batch_select_indices(self, indices) -> None:
        """Keep only the `indices` rows."""
        self.keys = self.keys[indices]
        self.values = self.values[indices]


class NucleusHint:
    """How many candidates the partial sort should take at the next step of a batch, from this step's nuclei.

    Speed only (every route gives the same threshold): 1.25x the 90th percentile of this step's nucleus
    sizes, rounded up to a multiple of `NUCLEUS_CANDIDATES` (sorting the candidates costs as much as the
    partial sort at ~1000 of 8000 tokens, so a power of two overshot); None (sort the whole distribution)
    when that reaches half the vocabulary, where a partial sort no longer pays.
    """

    def __init__(self) -> None:
        self.candidates: int | None = NUCLEUS_CANDIDATES

    def record(self, kept: np.ndarray, vocab: int) -> None:
        wanted = 1.25 * float(np.quantile(kept, 0.9)) if len(kept) else 0.0
        candidates = max(NUCLEUS_CANDIDATES, NUCLEUS_CANDIDATES * int(np.ceil(wanted / NUCLEUS_CANDIDATES)))
        self.candidates = candidates if candidates * 2 < vocab else None


def choose_tokens(logits, uniforms, decoding: DecodingConfig, hint: NucleusHint | None = None):
    """Next token per row: argmax, or inverse-CDF sampling from the temperature/top-k/top-p filtered distribution.

    One uniform per row and step picks the token (the cumulative sum runs in vocabulary order), so
    the draw is a pure function of the row's own stream. Top-p follows `transformers`: sort the
    probabilities ascending, drop those whose cumulative mass is <= 1 - top_p, always keep the most
    likely token; tokens tied with the least likely kept one are all kept. `hint` (the decoding loop's)
    only steers how the threshold is found.
    """
    import torch

    logits = logits.float()
    if not decoding.do_sample:
        return logits.argmax(dim=-1)
    if decoding.temperature != 1.0:
        logits = logits / decoding.temperature
    vocab = logits.shape[-1]
    if 0 < decoding.top_k < vocab:
        kth = torch.topk(logits, decoding.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    if probs.device.type != "cpu":
        return _sample_on_accelerator(probs, uniforms, decoding.top_p)
    values, draws = probs.numpy(), uniforms.double().cpu().numpy()
    hint = hint if hint is not None else NucleusHint()
    step = max(1, CHUNK_ELEMENTS // vocab)  # rows per chunk: its temporaries stay in cache
    chunks = [slice(start, start + step) for start in range(0, len(values), step)]

    def sample(chunk: slice) -> np.ndarray:
        return _sample_rows(values[chunk], draws[chunk], decoding.top_p, hint)

    threads = min(torch.get_num_threads(), len(chunks))
    tokens = list(_executor(threads).map(sample, chunks)) if threads > 1 else [sample(c) for c in chunks]
    return torch.from_numpy(np.concatenate(tokens))


def _sample_on_accelerator(probs, uniforms, top_p: float):
    """The same draw with torch operations (accelerators sort and scan fast)."""
    import torch

    vocab = probs.shape[-1]
    if top_p < 1.0:
        ascending = torch.sort(probs, dim=-1).values
        removed = (ascending.cumsum(dim=-1) <= 1.0 - top_p).sum(dim=-1).clamp(max=vocab - 1)
        probs = probs.masked_fill(probs < ascending.gather(-1, removed.unsqueeze(-1)), 0.0)
    cumulative = probs.double().cumsum(dim=-1)
    target = (uniforms.double() * cumulative[:, -1]).unsqueeze(-1)
    return torch.searchsorted(cumulative, target, right=True).clamp(max=vocab - 1).squeeze(-1)


def _sample_rows(probs: np.ndarray, uniforms: np.ndarray, top_p: float, hint: NucleusHint) -> np.ndarray:
    """Tokens of a block of rows (numpy): nucleus threshold, then the inverse-CDF draw over the kept tokens.

    A row whose most likely token alone holds the nucleus (the mass outside it, the sort's tail at j=1, is
    already <= 1 - top_p) draws that token whatever its uniform: the common case of a trained model, found
    with one maximum per row. Above top_p 0.5 no other token can tie with it (they hold <= 1 - top_p).
    """
    vocab = probs.shape[-1]
    total = probs.sum(axis=-1, dtype=np.float64)
    if top_p >= 1.0:
        return np.minimum(first_above(probs, uniforms * total), vocab - 1)
    best = probs.argmax(axis=-1)
    peak = probs[np.arange(len(probs)), best]
    alone = (total - peak).astype(np.float32) <= np.float32(1.0 - top_p)
    if top_p <= 0.6:
        alone &= (probs == peak[:, None]).sum(axis=-1) == 1
    if alone.all():
        return best
    tokens = best.copy()
    rest = np.flatnonzero(~alone)
    part = probs[rest] if len(rest) < len(probs) else probs
    smallest, kept = nucleus_thresholds(part, top_p, hint, total=total[rest])
    tokens[rest] = _draw_kept(part, part >= smallest[:, None], kept, uniforms[rest])
    return tokens


def nucleus_thresholds(probs: np.ndarray, top_p: float, hint: NucleusHint | None = None,
                       total: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the least probability the top-p nucleus keeps (tokens at or above it are the nucleus), and
    the nucleus size (ties not counted).

    The threshold is the one a full ascending sort gives: drop the tokens whose ascending cumulative mass
    (float64 sums, compared in float32 as `transformers` does) is <= 1 - top_p, keep at least one. The
    mass outside the j most likely tokens is that ascending sum at position V-1-j, so the kept count is
    the number of j with that mass above 1 - top_p, which can be read off each row's m most likely
    tokens (found by a partial sort, `numpy.partition`, linear in the vocabulary) when its nucleus is
    smaller than m; the other rows sort their whole distribution (numpy's vectorised sort, ~4x faster
    than torch.sort on CPU). `hint` picks m from the previous step's nuclei; `total` is each row's float64
    sum when the caller has it.
    """
    rows, vocab = probs.shape
    limit = np.float32(1.0 - top_p)
    smallest = np.empty(rows, dtype=probs.dtype)
    kept = np.empty(rows, dtype=np.int64)
    todo = np.arange(rows)
    candidates = hint.candidates if hint is not None else NUCLEUS_CANDIDATES
    if candidates is not None and candidates * 2 < vocab:
        total = probs.sum(axis=-1, dtype=np.float64) if total is None else total
        top = np.sort(np.partition(probs, vocab - candidates, axis=-1)[:, vocab - candidates:], axis=-1)[:, ::-1]
        outside = total[:, None] - np.cumsum(top[:, :-1], axis=-1, dtype=np.float64)  # mass outside the top 1..m-1
        # the mass outside the top j, j = 0..m-1, compared in float32 (j = 0: the whole row)
        counted = (total.astype(np.float32) > limit) + (outside.astype(np.float32) > limit).sum(axis=-1)
        threshold = top[np.arange(rows), counted - 1]
        # resolved when the last candidate is not kept: the nucleus, ties included, lies inside the candidates
        done = top[:, -1] < threshold
        smallest[done], kept[done] = threshold[done], counted[done]
        todo = todo[~done]
    if len(todo):
        ascending = np.sort(probs if len(todo) == rows else probs[todo], axis=-1)
        removed = np.minimum(first_above(ascending, np.full(len(todo), float(limit)), in_float32=True), vocab - 1)
        smallest[todo], kept[todo] = ascending[np.arange(len(todo)), removed], vocab - removed
    if hint is not None:
        hint.record(kept, vocab)
    return smallest, kept


def first_above(values: np.ndarray, targets: np.ndarray, in_float32: bool = False) -> np.ndarray:
    """Per row, the first index whose running float64 sum of `values` exceeds the row's target (len if none).

    In blocks of `SUM_BLOCK`: the blocks' float64 sums and their running sum find the block, a running sum
    inside that block the index, so no vocabulary-sized float64 array is made (a sequential running sum over
    the whole distribution cost more than sorting it). `in_float32` compares the running sums rounded to
    float32, as a float32 `cumsum` (which accumulates in float64) is compared. The blocked sums round
    differently from one sequential sum only at ~1e-16, which moves an index only when a running sum lies
    that close to its target.
    """
    rows, length = values.shape
    starts = np.arange(0, length, SUM_BLOCK)
    ends = np.cumsum(np.add.reduceat(values, starts, axis=1, dtype=np.float64), axis=1)
    compare = (lambda x: x.astype(np.float32)) if in_float32 else (lambda x: x)
    limit = compare(np.asarray(targets, dtype=np.float64))[:, None]
    block = (compare(ends) <= limit).sum(axis=1)
    found = block < len(starts)
    block = np.minimum(block, len(starts) - 1)
    row = np.arange(rows)
    before = np.where(block > 0, ends[row, np.maximum(block - 1, 0)], 0.0)
    index = block[:, None] * SUM_BLOCK + np.arange(SUM_BLOCK)
    inside = np.where(index < length, values[row[:, None], np.minimum(index, length - 1)], 0).astype(np.float64)
    running = np.cumsum(inside, axis=1) + before[:, None]
    offset = np.minimum((compare(running) <= limit).sum(axis=1), SUM_BLOCK - 1)
    return np.where(found, block * SUM_BLOCK + offset, length)


def _draw_kept(probs: np.ndarray, kept: np.ndarray, counts: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw among each row's kept tokens in vocabulary order (float64 running sum).

    The same sums as over the whole vocabulary with the other tokens set to 0 (adding 0.0 is exact); a
    narrow nucleus is gathered first so that the sum runs over its tokens only.
    """
    rows, vocab = probs.shape
    masses = probs * kept  # removed tokens become exact zeros
    width = int(kept.sum(axis=-1).max())
    if width * 8 >= vocab:
        total = masses.sum(axis=-1, dtype=np.float64)
        return np.minimum(first_above(masses, uniforms * total), vocab - 1)
    row, column = np.nonzero(kept)  # row-major: each row's kept tokens in vocabulary order
    per_row = np.bincount(row, minlength=rows)
    slot = np.arange(len(row)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    gathered = np.zeros((rows, width), dtype=np.float64)
    gathered[row, slot] = probs[row, column]
    tokens = np.zeros((rows, width), dtype=np.int64)
    tokens[row, slot] = column
    running = np.cumsum(gathered, axis=1)
    target = uniforms * running[np.arange(rows), per_row - 1]
    position = np.minimum((running <= target[:, None]).sum(axis=1), per_row - 1)
    return tokens[np.arange(rows), position]


@lru_cache(maxsize=4)
def _executor(threads: int):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(threads, thread_name_prefix="nucleus")
