"""Tests of the batched generation engine: sampling law, determinism, stopping, truncation, prefix, cache."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest
import torch

from helpers.engines.generation import (
    AUTO_BATCH_ROWS,
    COLUMNS,
    DecodingConfig,
    GenerationRequest,
    auto_batch_size,
    choose_tokens,
    generate_continuations,
    generate_requests,
)
from tiny_models import corpus, single_thread, tiny_model, tiny_tokenizer, trained_model

PROMPTS = ["the cat sees", "a dog likes the", "my friend", "le chat dort sur"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with single_thread():
        yield


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def fitted():
    """A tiny model fitted on the corpus: peaked next-token distributions and frequent EOS."""
    return trained_model(corpus(), steps=60)


@pytest.fixture
def random_model():
    return tiny_model(seed=3)


def sample_config(**changes) -> DecodingConfig:
    values = {"num_samples": 5, "max_new_tokens": 8, "top_p": 0.9, "top_k": 0, "temperature": 1.0}
    values.update(changes)
    return DecodingConfig(**values)


class ForwardCounter:
    """Counts the model's forward calls (a cached rerun must make none)."""

    def __init__(self, model):
        self.calls = 0
        self.handle = model.register_forward_hook(self._hook)

    def _hook(self, module, args, output):
        self.calls += 1


@pytest.mark.parametrize("changes", [
    {"num_samples": 0}, {"max_new_tokens": 0}, {"top_p": 0.0}, {"top_p": 1.5}, {"top_k": -1},
    {"top_k": 2.5}, {"temperature": 0.0}, {"temperature": float("inf")}, {"do_sample": False},
    {"num_samples": True},
])
def test_decoding_config_rejects_impossible_values(changes):
    with pytest.raises(ValueError, match="invalid DecodingConfig"):
        sample_config(**changes)


def test_decoding_config_caption_names_the_protocol():
    assert sample_config().caption() == "k=5 samples, 8 new tokens, top-p 0.9, no top-k, T=1.0"
    assert DecodingConfig(1, 20, do_sample=False).caption() == "greedy, k=1, 20 new tokens"


def test_long_frame_has_one_row_per_prompt_and_sample(fitted, tokenizer):
    frame = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=1)
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == len(PROMPTS) * 5
    assert frame["prompt_index"].tolist() == [i for i in range(len(PROMPTS)) for _ in range(5)]
    assert frame["sample"].tolist() == list(range(5)) * len(PROMPTS)
    assert frame["n_new_tokens"].between(0, 8).all()
    assert not frame["truncated_prompt"].any()
    assert frame["continuation"].map(lambda s: isinstance(s, str) and "<|" not in s).all()


def test_same_seed_same_output_and_other_seed_other_output(fitted, tokenizer):
    first = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=7)
    again = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=7)
    other = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert (first["continuation"] != other["continuation"]).any()


def test_output_does_not_depend_on_batch_size_or_other_prompts(fitted, tokenizer):
    config = sample_config(num_samples=6, max_new_tokens=12)
    wide = generate_continuations(fitted, tokenizer, PROMPTS, config, seed=3, batch_size=64)
    narrow = generate_continuations(fitted, tokenizer, PROMPTS, config, seed=3, batch_size=4)
    single = generate_continuations(fitted, tokenizer, PROMPTS[:2], config, seed=3, batch_size=1)
    pd.testing.assert_frame_equal(wide, narrow)
    pd.testing.assert_frame_equal(wide[wide["prompt_index"] < 2], single)
    # early EOS happened, so rows left the batch mid-way (the compaction path ran)
    assert (wide["n_new_tokens"] < 12).any()
    alone = generate_continuations(fitted, tokenizer, [PROMPTS[2]], config, seed=3)
    assert alone["continuation"].tolist() == wide.loc[wide["prompt_index"] == 2, "continuation"].tolist()


def test_repeated_prompt_gets_fresh_samples(fitted, tokenizer):
    frame = generate_continuations(fitted, tokenizer, ["the cat", "the cat"], sample_config(num_samples=8), seed=0)
    first = frame.loc[frame["prompt_index"] == 0, "continuation"].tolist()
    second = frame.loc[frame["prompt_index"] == 1, "continuation"].tolist()
    assert first != second


def test_greedy_matches_transformers_generate(fitted, tokenizer):
    config = DecodingConfig(num_samples=1, max_new_tokens=10, do_sample=False)
    ours = generate_continuations(fitted, tokenizer, PROMPTS, config, seed=0, batch_size=3)
    for index, prompt in enumerate(PROMPTS):
        ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(prompt)["input_ids"]]])
        with torch.no_grad():
            out = fitted.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=10,
                                  pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
        new = out[0, ids.shape[1]:].tolist()
        if tokenizer.eos_token_id in new:
            new = new[:new.index(tokenizer.eos_token_id)]
        assert ours.loc[index, "continuation"] == tokenizer.decode(new, skip_special_tokens=True)
        assert ours.loc[index, "n_new_tokens"] == len(new)


def _nucleus(probs: torch.Tensor, top_p: float) -> torch.Tensor:
    """Reference top-p filter written independently: keep tokens until their mass reaches top_p."""
    sorted_probs, order = torch.sort(probs, descending=True)
    keep = torch.zeros_like(probs, dtype=torch.bool)
    mass = 0.0
    for p, token in zip(sorted_probs.tolist(), order.tolist()):
        keep[token] = True
        mass += p
        if mass >= top_p:
            break
    filtered = torch.where(keep, probs, torch.zeros_like(probs))
    return filtered / filtered.sum()


def test_samples_follow_the_temperature_and_nucleus_distribution(fitted, tokenizer):
    prompt, n, temperature, top_p = "the cat sees", 3000, 0.8, 0.9
    config = DecodingConfig(num_samples=n, max_new_tokens=1, top_p=top_p, temperature=temperature)
    frame = generate_continuations(fitted, tokenizer, [prompt], config, seed=11, batch_size=1024)
    ids = torch.tensor([[tokenizer.bos_token_id, *tokenizer(prompt)["input_ids"]]])
    with torch.no_grad():
        logits = fitted(ids).logits[0, -1].double()
    expected = _nucleus(torch.softmax(logits / temperature, -1), top_p)
    by_text = Counter()
    for token, p in enumerate(expected.tolist()):
        if p > 0:
            by_text[tokenizer.decode([token], skip_special_tokens=True)] += p
    observed = Counter(frame["continuation"])
    assert set(observed) <= set(by_text), "a token outside the nucleus was sampled"
    for text, p in by_text.most_common(3):
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(observed[text] - n * p) < 4.5 * sigma + 1, (text, observed[text], n * p)


def test_top_k_zero_means_no_top_k(random_model, tokenizer):
    """`generate()` would cap the support at 50 tokens; top_k=0 must not."""
    plain = generate_continuations(random_model, tokenizer, ["the"], DecodingConfig(2000, 1, top_p=1.0, top_k=0),
                                   seed=0, batch_size=1000)
    capped = generate_continuations(random_model, tokenizer, ["the"], DecodingConfig(2000, 1, top_p=1.0, top_k=20),
                                    seed=0, batch_size=1000)
    assert plain["continuation"].nunique() > 100
    assert capped["continuation"].nunique() <= 20


def test_choose_tokens_inverse_cdf_on_a_hand_made_distribution():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]] * 4))
    uniforms = torch.tensor([0.0, 0.6, 0.95, 0.999])
    config = DecodingConfig(num_samples=1, max_new_tokens=1, top_p=0.8)
    # top-p 0.8 keeps {0, 1} (mass above token 2 is 0.8): renormalised 0.625 / 0.375
    assert choose_tokens(logits, uniforms, config).tolist() == [0, 0, 1, 1]
    full = DecodingConfig(num_samples=1, max_new_tokens=1, top_p=1.0)
    assert choose_tokens(logits, uniforms, full).tolist() == [0, 1, 2, 3]
    top1 = DecodingConfig(num_samples=1, max_new_tokens=1, top_p=1.0, top_k=1)
    assert choose_tokens(logits, uniforms, top1).tolist() == [0, 0, 0, 0]


def test_choose_tokens_wide_and_narrow_nuclei_in_one_batch():
    """Rows with a wide and a narrow nucleus side by side give what each gives alone, and the exact law."""
    vocab, top_p = 1000, 0.6
    flat = -0.002 * torch.arange(vocab, dtype=torch.float32)
    peaked = -0.5 * torch.arange(vocab, dtype=torch.float32)
    uniforms = torch.linspace(0, 0.999, 50)
    config = DecodingConfig(num_samples=1, max_new_tokens=1, top_p=top_p)
    together = choose_tokens(torch.stack([flat, peaked] * 50), uniforms.repeat_interleave(2), config)
    for row, logits in enumerate((flat, peaked)):
        kept = _nucleus(torch.softmax(logits.double(), -1), top_p)  # tokens are already in descending order
        expected = torch.searchsorted(kept.cumsum(0), uniforms.double(), right=True)
        alone = choose_tokens(logits.expand(50, -1), uniforms, config)
        assert alone.tolist() == expected.tolist()
        assert together[row::2].tolist() == expected.tolist()
    assert int((_nucleus(torch.softmax(flat.double(), -1), top_p) > 0).sum()) > 300


def test_rows_stop_at_eos_and_the_loop_ends_early(random_model, tokenizer):
    counter = ForwardCounter(random_model)
    eos = tokenizer.eos_token_id

    def force_eos_on_third_call(module, args, output):
        # the model's hook runs after the head's, so counter.calls == 2 means the third forward pass
        output[..., eos] += 1e4 if counter.calls == 2 else -1e4
        return output

    handle = random_model.lm_head.register_forward_hook(force_eos_on_third_call)
    try:
        frame = generate_continuations(random_model, tokenizer, PROMPTS, sample_config(num_samples=3,
                                       max_new_tokens=12), seed=0)
    finally:
        handle.remove()
        counter.handle.remove()
    assert (frame["n_new_tokens"] == 2).all()
    assert counter.calls == 3
    assert "<|endoftext|>" not in "".join(frame["continuation"])


def test_prompt_longer_than_context_is_left_truncated_and_flagged(random_model, tokenizer):
    long_prompt = " ".join(["the cat sees the river"] * 30)
    assert len(tokenizer(long_prompt)["input_ids"]) > 64
    frame = generate_continuations(random_model, tokenizer, [long_prompt, "a dog"], sample_config(num_samples=2),
                                   seed=0)
    assert frame["truncated_prompt"].tolist() == [True, True, False, False]
    assert frame["n_new_tokens"].max() <= 8
    with pytest.raises(ValueError, match="leaves no room"):
        generate_continuations(random_model, tokenizer, ["a"], DecodingConfig(1, 64), seed=0)


def test_empty_prompt_is_conditioned_on_bos_only(fitted, tokenizer):
    greedy = DecodingConfig(num_samples=1, max_new_tokens=8, do_sample=False)
    with_bos = generate_continuations(fitted, tokenizer, [""], greedy, seed=0, add_bos=True)
    without = generate_continuations(fitted, tokenizer, [""], greedy, seed=0, add_bos=False)
    pd.testing.assert_frame_equal(with_bos, without)
    assert with_bos.loc[0, "n_new_tokens"] > 0


def test_prefix_conditions_but_is_not_part_of_the_continuation(fitted, tokenizer):
    greedy = DecodingConfig(num_samples=1, max_new_tokens=8, do_sample=False)
    prefix = "le chat dort. "
    with_prefix = generate_continuations(fitted, tokenizer, PROMPTS, greedy, seed=0, prefix=prefix)
    joined = generate_continuations(fitted, tokenizer, [prefix + p for p in PROMPTS], greedy, seed=0)
    plain = generate_continuations(fitted, tokenizer, PROMPTS, greedy, seed=0)
    pd.testing.assert_frame_equal(with_prefix, joined)
    assert (with_prefix["continuation"] != plain["continuation"]).any()
    assert not with_prefix["continuation"].str.startswith(prefix.strip()).any()


def test_cache_returns_the_frame_without_running_the_model(fitted, tokenizer, tmp_path):
    counter = ForwardCounter(fitted)
    try:
        first = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=5, cache_dir=tmp_path,
                                       model_digest="abc")
        calls_first = counter.calls
        again = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=5, cache_dir=tmp_path,
                                       model_digest="abc", batch_size=2)
        calls_again = counter.calls - calls_first
        generate_continuations(fitted, tokenizer, PROMPTS, sample_config(), seed=6, cache_dir=tmp_path,
                               model_digest="abc")
        calls_other_seed = counter.calls - calls_first - calls_again
    finally:
        counter.handle.remove()
    assert calls_first > 0 and calls_again == 0 and calls_other_seed > 0
    pd.testing.assert_frame_equal(first, again)
    assert len(list(tmp_path.glob("generations-*.parquet"))) == 2
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file of the atomic write was left behind"


def test_without_model_digest_nothing_is_cached(fitted, tokenizer, tmp_path):
    generate_continuations(fitted, tokenizer, PROMPTS[:1], sample_config(), seed=5, cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_no_prompts_give_an_empty_frame(fitted, tokenizer):
    frame = generate_continuations(fitted, tokenizer, [], sample_config(), seed=0)
    assert tuple(frame.columns) == COLUMNS and len(frame) == 0


def test_training_mode_is_restored(tokenizer):
    model = tiny_model(seed=1).train()
    frame = generate_continuations(model, tokenizer, ["a"], sample_config(num_samples=2), seed=0)
    assert model.training and len(frame) == 2


def _full_sort_nucleus(logits: torch.Tensor, uniforms: torch.Tensor, decoding: DecodingConfig) -> torch.Tensor:
    """The engine's previous top-p draw, sorting every row's whole distribution (written out as a reference)."""
    logits = logits.float()
    if decoding.temperature != 1.0:
        logits = logits / decoding.temperature
    if 0 < decoding.top_k < logits.shape[-1]:
        kth = torch.topk(logits, decoding.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    ascending = torch.sort(probs, dim=-1).values
    removed = (ascending.cumsum(dim=-1) <= 1.0 - decoding.top_p).sum(dim=-1).clamp(max=probs.shape[-1] - 1)
    probs = probs.masked_fill(probs < ascending.gather(-1, removed.unsqueeze(-1)), 0.0)
    cumulative = probs.double().cumsum(dim=-1)
    target = (uniforms.double() * cumulative[:, -1]).unsqueeze(-1)
    return torch.searchsorted(cumulative, target, right=True).clamp(max=probs.shape[-1] - 1).squeeze(-1)


@pytest.mark.parametrize("vocab, scale, ties", [(40, 3.0, False), (300, 1.0, False), (2000, 0.3, False),
                                                (2000, 6.0, False), (3000, 2.0, True)])
def test_partial_sort_nucleus_draws_what_a_full_sort_draws(vocab, scale, ties):
    """The nucleus read off the top candidates (or a wider fallback) gives the full sort's token, row by row."""
    generator = torch.Generator().manual_seed(vocab)
    logits = torch.randn(400, vocab, generator=generator) * scale
    if ties:  # a third of the vocabulary tied with the best token: the boundary tie reaches past the candidates
        logits[:200, : vocab // 3] = logits[:200, :1]
    uniforms = torch.rand(400, generator=generator, dtype=torch.float64)
    for changes in ({}, {"top_p": 0.5}, {"top_p": 0.97, "temperature": 0.7}, {"top_p": 0.8, "top_k": 25}):
        config = sample_config(**changes)
        assert choose_tokens(logits, uniforms, config).tolist() == _full_sort_nucleus(logits, uniforms, config).tolist()


@pytest.mark.parametrize("candidates", [64, 192, 896, 960, None])
@pytest.mark.parametrize("top_p", [1e-6, 0.3, 0.9, 0.999999, 1.0])
def test_nucleus_from_any_candidate_count_equals_the_full_sort(candidates, top_p):
    """Whatever number of candidates the hint asks for (multiples of 64, or a full sort), the draw is the full sort's."""
    from helpers.engines.generation import NucleusHint

    generator = torch.Generator().manual_seed(7)
    logits = torch.randn(300, 4000, generator=generator) * torch.linspace(0.2, 5.0, 300)[:, None]
    logits[:60, :900] = logits[:60, :1]  # ties with the best token reaching past the candidates
    logits[60:120, 100:110] = logits[60:120, 100:101] + 4.0  # ten tokens tied at the top
    uniforms = torch.rand(300, generator=generator, dtype=torch.float64)
    hint = NucleusHint()
    hint.record = lambda kept, vocab: None  # keep the candidate count fixed for this test
    hint.candidates = candidates
    config = sample_config(top_p=top_p)
    assert choose_tokens(logits, uniforms, config, hint).tolist() == _full_sort_nucleus(logits, uniforms, config).tolist()


def test_nucleus_hint_asks_for_a_multiple_of_the_minimum_above_the_nuclei_seen():
    import numpy as np

    from helpers.engines.generation import NUCLEUS_CANDIDATES, NucleusHint

    hint = NucleusHint()
    hint.record(np.full(100, 700), 8000)
    assert hint.candidates % NUCLEUS_CANDIDATES == 0 and 1.25 * 700 <= hint.candidates < 1.25 * 700 + NUCLEUS_CANDIDATES
    hint.record(np.full(100, 3500), 8000)
    assert hint.candidates is None  # past half the vocabulary: sort it whole
    hint.record(np.ones(100, dtype=int), 8000)
    assert hint.candidates == NUCLEUS_CANDIDATES


def test_requests_pooled_in_one_call_equal_separate_calls(fitted, tokenizer):
    wide, narrow = sample_config(num_samples=5), sample_config(num_samples=2)
    first, second = PROMPTS[:3], PROMPTS[1:] + ["the cat"]
    pooled = generate_requests(fitted, tokenizer, [GenerationRequest(first, wide), GenerationRequest(second, narrow),
                                                   GenerationRequest(first, wide, prefix="le chat dort. ")], seed=4)
    alone = [generate_continuations(fitted, tokenizer, first, wide, seed=4),
             generate_continuations(fitted, tokenizer, second, narrow, seed=4),
             generate_continuations(fitted, tokenizer, first, wide, seed=4, prefix="le chat dort. ")]
    for got, expected in zip(pooled, alone):
        pd.testing.assert_frame_equal(got, expected)
    # a row's stream does not depend on k: the first two of five samples are the two of a k=2 request
    pd.testing.assert_frame_equal(
        pooled[1].loc[pooled[1]["prompt_index"] < 2, ["continuation"]].reset_index(drop=True),
        alone[0].loc[(alone[0]["prompt_index"] >= 1) & (alone[0]["sample"] < 2), ["continuation"]].reset_index(drop=True))


def test_each_request_is_cached_on_its_own(fitted, tokenizer, tmp_path):
    counter = ForwardCounter(fitted)
    try:
        requests = [GenerationRequest(PROMPTS[:2], sample_config()), GenerationRequest(PROMPTS[2:], sample_config())]
        generate_requests(fitted, tokenizer, requests, seed=1, cache_dir=tmp_path, model_digest="m")
        before = counter.calls
        changed = [requests[0], GenerationRequest(PROMPTS[2:], sample_config(num_samples=3))]
        frames = generate_requests(fitted, tokenizer, changed, seed=1, cache_dir=tmp_path, model_digest="m")
        regenerated = counter.calls - before
        generate_requests(fitted, tokenizer, changed, seed=1, cache_dir=tmp_path, model_digest="m")
        again = counter.calls - before - regenerated
    finally:
        counter.handle.remove()
    assert regenerated > 0 and again == 0
    assert len(list(tmp_path.glob("generations-*.parquet"))) == 3
    pd.testing.assert_frame_equal(frames[1], generate_continuations(fitted, tokenizer, PROMPTS[2:],
                                                                    sample_config(num_samples=3), seed=1))


def test_kv_cache_is_written_in_place_not_concatenated(fitted, tokenizer, monkeypatch):
    """After the prefill, no key/value tensor is concatenated: every step writes one column of a buffer."""
    from transformers import cache_utils

    concatenations = []
    original = cache_utils.DynamicLayer.update

    def counting(self, *args, **kwargs):
        if type(self) is cache_utils.DynamicLayer:
            concatenations.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cache_utils.DynamicLayer, "update", counting)
    frame = generate_continuations(fitted, tokenizer, PROMPTS, sample_config(max_new_tokens=10), seed=0)
    layers = fitted.config.n_layer
    assert len(concatenations) == layers  # the prefill's single pass, one update per layer
    assert frame["n_new_tokens"].max() > 1


def test_automatic_batch_size_follows_memory(fitted):
    small = auto_batch_size(fitted, positions=16)
    large = auto_batch_size(fitted, positions=4096)
    assert AUTO_BATCH_ROWS[0] <= large <= small <= AUTO_BATCH_ROWS[1]
    with pytest.raises(ValueError, match="batch_size"):
        generate_continuations(fitted, tiny_tokenizer(), ["a"], sample_config(), seed=0, batch_size=0)


def test_merged_lora_adapter_gives_the_unmerged_models_outputs(fitted, tokenizer):
    import copy

    from peft import LoraConfig, get_peft_model

    from helpers.engines.common import merged_for_inference
    from helpers.engines.likelihood import sequence_logprobs

    config = LoraConfig(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj", "c_fc"], fan_in_fan_out=True,
                        init_lora_weights=False)
    adapted = get_peft_model(copy.deepcopy(fitted), config).eval()
    greedy = DecodingConfig(num_samples=1, max_new_tokens=8, do_sample=False)
    unmerged = generate_continuations(adapted, tokenizer, PROMPTS, greedy, seed=0)
    unmerged_ll = sequence_logprobs(adapted, tokenizer, PROMPTS)
    merged = merged_for_inference(adapted)
    assert type(merged).__name__ == "GPT2LMHeadModel"
    pd.testing.assert_frame_equal(generate_continuations(merged, tokenizer, PROMPTS, greedy, seed=0), unmerged)
    assert (sequence_logprobs(merged, tokenizer, PROMPTS)["sum_logprob"] - unmerged_ll["sum_logprob"]).abs().max() < 1e-5
    assert merged_for_inference(fitted) is fitted


def test_blocked_running_sum_finds_the_index_a_sequential_one_finds():
    import numpy as np

    from helpers.engines.generation import SUM_BLOCK, first_above

    rng = np.random.default_rng(0)
    for length in (1, SUM_BLOCK - 1, SUM_BLOCK, 5 * SUM_BLOCK + 7, 3000):
        values = (rng.random((300, length)) ** 3).astype(np.float32)
        values[:, ::3] = 0.0  # masked tokens
        running = np.cumsum(values, axis=-1, dtype=np.float64)
        targets = rng.random(300) * running[:, -1] * 1.1
        expected = (running <= targets[:, None]).sum(axis=-1)  # == length when the target is never exceeded
        assert first_above(values, targets).tolist() == expected.tolist()
        as_float32 = (running.astype(np.float32) <= targets.astype(np.float32)[:, None]).sum(axis=-1)
        assert first_above(values, targets, in_float32=True).tolist() == as_float32.tolist()
