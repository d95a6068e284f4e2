"""Tests of the batched likelihood engine against a one-sentence-at-a-time reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from helpers.engines.likelihood import (
    COLUMNS,
    MAX_PADDING_SHARE,
    corpus_perplexity,
    length_buckets,
    perplexity_from_logprobs,
    scoring_windows,
    sequence_logprobs,
    sequence_logprobs_requests,
)
from tiny_models import corpus, single_thread, tiny_tokenizer, trained_model

TEXTS = corpus()[:30:3] + ["le chat dort sur la table.", "x", " the red car", "a dog finds an apple in the market."]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with single_thread():
        yield


@pytest.fixture(scope="module")
def tokenizer():
    return tiny_tokenizer()


@pytest.fixture(scope="module")
def model():
    return trained_model(corpus(), steps=60)


def reference(model, tokenizer, text: str, context: str = "", add_bos: bool = True) -> tuple[float, int]:
    """Summed log-prob of the text's tokens, one sequence at a time, no padding (written independently)."""
    head = [tokenizer.bos_token_id] if add_bos else []
    ctx = tokenizer(context, add_special_tokens=False)["input_ids"] if context else []
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    sequence = head + ctx + ids
    first = max(len(head) + len(ctx), 1)
    if len(sequence) <= first:
        return float("nan"), 0
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([sequence])).logits[0].double(), dim=-1)
    total = sum(logprobs[t - 1, sequence[t]].item() for t in range(first, len(sequence)))
    return total, len(sequence) - first


@pytest.mark.parametrize("batch_size", [1, 3, 64, None])
def test_batched_equals_one_at_a_time(model, tokenizer, batch_size):
    frame = sequence_logprobs(model, tokenizer, TEXTS, batch_size=batch_size)
    assert tuple(frame.columns) == COLUMNS
    for row, text in enumerate(TEXTS):
        total, n = reference(model, tokenizer, text)
        assert frame.loc[row, "n_tokens"] == n
        assert abs(frame.loc[row, "sum_logprob"] - total) < 1e-5
        assert abs(frame.loc[row, "mean_logprob"] - total / n) < 1e-5


def test_contexts_condition_but_are_not_scored(model, tokenizer):
    contexts = ["the cat sees", "", "my friend helps", "le chat"] * 4
    texts = [" the river.", "a dog.", " the market.", " dort."] * 4
    frame = sequence_logprobs(model, tokenizer, texts, contexts=contexts, batch_size=5)
    for row, (context, text) in enumerate(zip(contexts, texts)):
        total, n = reference(model, tokenizer, text, context)
        assert frame.loc[row, "n_tokens"] == n == len(tokenizer(text)["input_ids"])
        assert abs(frame.loc[row, "sum_logprob"] - total) < 1e-5
    bare = sequence_logprobs(model, tokenizer, texts[:1])
    assert frame.loc[0, "sum_logprob"] != pytest.approx(bare.loc[0, "sum_logprob"])


def test_without_bos_the_first_token_is_not_scored(model, tokenizer):
    frame = sequence_logprobs(model, tokenizer, TEXTS, add_bos=False)
    for row, text in enumerate(TEXTS):
        total, n = reference(model, tokenizer, text, add_bos=False)
        assert frame.loc[row, "n_tokens"] == n == len(tokenizer(text)["input_ids"]) - 1
        if n:
            assert abs(frame.loc[row, "sum_logprob"] - total) < 1e-5
    with_context = sequence_logprobs(model, tokenizer, ["x"], contexts=["the cat"], add_bos=False)
    assert with_context.loc[0, "n_tokens"] == 1


def test_empty_and_unscorable_texts_give_zero_tokens_and_nan(model, tokenizer):
    frame = sequence_logprobs(model, tokenizer, ["", "the cat.", ""])
    assert frame["n_tokens"].tolist()[::2] == [0, 0]
    assert frame.loc[[0, 2], ["sum_logprob", "mean_logprob"]].isna().all().all()
    assert np.isfinite(frame.loc[1, "sum_logprob"])
    single = tokenizer.convert_ids_to_tokens(5)
    lone = sequence_logprobs(model, tokenizer, [tokenizer.convert_tokens_to_string([single])], add_bos=False)
    assert lone.loc[0, "n_tokens"] == 0 and math.isnan(lone.loc[0, "sum_logprob"])
    assert len(sequence_logprobs(model, tokenizer, [])) == 0


def test_order_of_inputs_does_not_change_values(model, tokenizer):
    forward = sequence_logprobs(model, tokenizer, TEXTS, batch_size=4)
    backward = sequence_logprobs(model, tokenizer, TEXTS[::-1], batch_size=4)
    np.testing.assert_allclose(forward["sum_logprob"], backward["sum_logprob"][::-1], atol=1e-5)


def test_context_longer_than_the_window_is_cut_from_the_left(model, tokenizer):
    context = " ".join(["the cat sees the river."] * 20)
    text = " a dog likes the market."
    frame = sequence_logprobs(model, tokenizer, [text], contexts=[context])
    sequence = [tokenizer.bos_token_id, *tokenizer(context)["input_ids"], *tokenizer(text)["input_ids"]]
    n = len(tokenizer(text)["input_ids"])
    window = sequence[-64:]
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([window])).logits[0].double(), dim=-1)
    expected = sum(logprobs[t - 1, window[t]].item() for t in range(64 - n, 64))
    assert frame.loc[0, "n_tokens"] == n
    assert abs(frame.loc[0, "sum_logprob"] - expected) < 1e-5


def test_text_longer_than_the_window_scores_every_token_once(model, tokenizer):
    text = " ".join(["the cat sees the river."] * 25)
    n_ids = len(tokenizer(text)["input_ids"])
    assert n_ids > 64
    frame = sequence_logprobs(model, tokenizer, [text, "the cat."], batch_size=2)
    assert frame.loc[0, "n_tokens"] == n_ids  # BOS makes the first token scorable too
    assert np.isfinite(frame.loc[0, "sum_logprob"])
    # reference: token t >= 64 is predicted inside the window that ends at the next multiple of 32 past 64
    stream = [tokenizer.bos_token_id, *tokenizer(text)["input_ids"]]
    total, cache = 0.0, {}
    for t in range(1, len(stream)):
        stop = 64 if t < 64 else min(len(stream), 64 + 32 * ((t - 64) // 32 + 1))
        if stop not in cache:
            with torch.no_grad():
                cache[stop] = torch.log_softmax(model(torch.tensor([stream[stop - 64:stop]])).logits[0].double(), -1)
        total += cache[stop][t - (stop - 64) - 1, stream[t]].item()
    assert abs(frame.loc[0, "sum_logprob"] - total) < 1e-5


def test_scoring_windows_hand_computed():
    stream = list(range(10))
    assert scoring_windows(stream, 1, 20) == [(stream, 9)]
    assert scoring_windows(stream, 8, 4) == [(stream[6:], 2)]  # the text fits, the context is cut
    pieces = scoring_windows(stream, 1, 4)  # stride 2
    assert pieces == [(stream[0:4], 3), (stream[2:6], 2), (stream[4:8], 2), (stream[6:10], 2)]
    assert sum(n for _, n in pieces) == 9
    assert scoring_windows(stream, 10, 4) == []


def test_corpus_perplexity_is_token_weighted(model, tokenizer):
    texts = ["the cat sees the river.", "a dog.", ""]
    frame = sequence_logprobs(model, tokenizer, texts)
    expected = math.exp(-(frame.loc[0, "sum_logprob"] + frame.loc[1, "sum_logprob"])
                        / (frame.loc[0, "n_tokens"] + frame.loc[1, "n_tokens"]))
    assert corpus_perplexity(model, tokenizer, texts) == pytest.approx(expected, rel=1e-12)
    unweighted = math.exp(-(frame.loc[0, "mean_logprob"] + frame.loc[1, "mean_logprob"]) / 2)
    assert expected != pytest.approx(unweighted)
    assert math.isnan(perplexity_from_logprobs(frame.iloc[2:]))


def test_mismatched_contexts_and_bad_batch_size_are_errors(model, tokenizer):
    with pytest.raises(ValueError, match="contexts"):
        sequence_logprobs(model, tokenizer, ["a", "b"], contexts=["c"])
    with pytest.raises(ValueError, match="batch_size"):
        sequence_logprobs(model, tokenizer, ["a"], batch_size=0)
    with pytest.raises(TypeError, match="strings"):
        sequence_logprobs(model, tokenizer, ["a", None])


def test_length_buckets_hand_computed():
    lengths = [10, 10, 9, 5, 5, 5, 4, 1]
    # the 10s and the 9 share a batch (padding 1 of 30 positions); 5, 5, 5 and 4 (padding 1 of 20); 1 alone
    assert length_buckets(lengths, max_rows=None, max_tokens=1000, max_padding_share=0.1) == [[0, 1, 2], [3, 4, 5, 6],
                                                                                                [7]]
    assert length_buckets(lengths, max_rows=None, max_tokens=1000, max_padding_share=0.0) == [[0, 1], [2], [3, 4, 5],
                                                                                                [6], [7]]
    assert length_buckets(lengths, max_rows=2, max_tokens=1000) == [[0, 1], [2], [3, 4], [5, 6], [7]]
    assert length_buckets(lengths, max_rows=None, max_tokens=20) == [[0, 1], [2], [3, 4, 5, 6], [7]]
    assert length_buckets([], None, 10) == []


class PositionCounter:
    """Counts the positions the transformer reads and the positions the output layer projects."""

    def __init__(self, model):
        self.positions = self.head_rows = 0
        self.handles = [model.register_forward_pre_hook(self._model, with_kwargs=True),
                        model.lm_head.register_forward_pre_hook(self._head)]

    def _model(self, module, args, kwargs):
        self.positions += kwargs["input_ids"].numel()

    def _head(self, module, args):
        self.head_rows += args[0].shape[:-1].numel()

    def remove(self):
        for handle in self.handles:
            handle.remove()


def test_no_work_on_padding(model, tokenizer):
    """Equal-length texts run unpadded; mixed lengths stay under the padding share; the output layer projects
    exactly the scored positions (not the padding, the context or the last position of a row)."""
    first = len(tokenizer(corpus()[0])["input_ids"])
    same = [t for t in corpus() if len(tokenizer(t)["input_ids"]) == first][:40]
    assert len(same) > 10
    counter = PositionCounter(model)
    try:
        frame = sequence_logprobs(model, tokenizer, same)
        assert counter.positions == len(same) * (first + 1)
        assert counter.head_rows == int(frame["n_tokens"].sum()) == len(same) * first
        counter.positions = counter.head_rows = 0
        contexts = ["the cat sees the river and", "a dog"] * (len(TEXTS) // 2)
        frame = sequence_logprobs(model, tokenizer, TEXTS, contexts=contexts)
        real = sum(1 + len(tokenizer(c)["input_ids"]) + len(tokenizer(t)["input_ids"])
                   for t, c in zip(TEXTS, contexts) if tokenizer(t)["input_ids"])
        assert 0 < counter.positions - real <= MAX_PADDING_SHARE * counter.positions
        assert counter.head_rows == int(frame["n_tokens"].sum())
    finally:
        counter.remove()


def test_pooled_requests_equal_separate_calls(model, tokenizer):
    contexts = ["the cat sees", "my friend"] * 5
    requests = [(TEXTS, None), (TEXTS[:10], contexts), ([], None)]
    pooled = sequence_logprobs_requests(model, tokenizer, requests)
    alone = [sequence_logprobs(model, tokenizer, TEXTS), sequence_logprobs(model, tokenizer, TEXTS[:10], contexts),
             sequence_logprobs(model, tokenizer, [])]
    for got, expected in zip(pooled, alone):
        assert len(got) == len(expected)
        np.testing.assert_allclose(got["sum_logprob"], expected["sum_logprob"], atol=1e-5)
        assert got["n_tokens"].tolist() == expected["n_tokens"].tolist()
