"""Tiny GPT-2 models and a BPE tokenizer for tests: built in well under a second, deterministic."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

SUBJECTS = ["the cat", "a dog", "my friend", "the teacher", "our neighbour", "the old man", "a young girl",
            "the doctor", "her brother", "the farmer"]
VERBS = ["sees", "likes", "finds", "paints", "helps", "follows", "watches", "visits"]
OBJECTS = ["the river", "a small house", "the green field", "an apple", "the red car", "a quiet street",
           "the market", "a long letter"]
FRENCH = ["le chat dort sur la table", "une femme lit un livre", "nous allons au marché demain",
          "il fait beau ce matin", "les enfants jouent dans le jardin", "mon frère aime la musique"]


def corpus() -> list[str]:
    """A few hundred short English sentences (plus a few French ones), in a fixed order."""
    sentences = [f"{s} {v} {o}." for s, v, o in itertools.product(SUBJECTS, VERBS, OBJECTS)]
    return sentences[::2] + [f + "." for f in FRENCH]


@contextmanager
def single_thread() -> Iterator[None]:
    """One torch thread for the block: tiny models gain nothing from more, and lose 40x on a shared CPU."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=1)
def tiny_tokenizer():
    """Byte-level BPE with a 300-token vocabulary trained on `corpus()`."""
    from helpers.tokenizer import train_bpe_tokenizer

    return train_bpe_tokenizer(corpus(), vocab_size=300)


def tiny_model(seed: int = 0, n_positions: int = 64):
    """A randomly initialised 2-layer GPT-2 (n_embd 32) matching `tiny_tokenizer()`, in eval mode."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = tiny_tokenizer()
    config = GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=n_positions, vocab_size=len(tokenizer),
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    return GPT2LMHeadModel(config).eval()


def train_lm(model, texts: Sequence[str], steps: int, lr: float = 3e-3, batch_size: int = 16, seed: int = 0):
    """Fit the model on BOS + text + EOS for a number of AdamW steps; returns it in eval mode."""
    import torch

    tokenizer = tiny_tokenizer()
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    encoded = [[bos, *tokenizer(t, add_special_tokens=False)["input_ids"], eos] for t in texts]
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        picks = torch.randint(len(encoded), (min(batch_size, len(encoded)),), generator=generator).tolist()
        width = max(len(encoded[i]) for i in picks)
        ids = torch.full((len(picks), width), pad)
        labels = torch.full((len(picks), width), -100)
        mask = torch.zeros((len(picks), width), dtype=torch.long)
        for row, i in enumerate(picks):
            seq = torch.tensor(encoded[i])
            ids[row, :len(seq)], labels[row, :len(seq)], mask[row, :len(seq)] = seq, seq, 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@lru_cache(maxsize=4)
def _trained(texts: tuple[str, ...], steps: int, seed: int):
    return train_lm(tiny_model(seed), texts, steps, seed=seed)


def trained_model(texts: Sequence[str], steps: int, seed: int = 0):
    """A tiny model fitted on `texts` (cached per arguments; each caller gets its own copy)."""
    return copy.deepcopy(_trained(tuple(texts), steps, seed))
