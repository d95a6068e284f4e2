"""Byte-level BPE tokenizer trained on the study's own pretraining corpus."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

BOS_EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int, out_dir: Path | None = None):
    """Train a deterministic byte-level BPE tokenizer; return it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[BOS_EOS_TOKEN, PAD_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tokenizer.train_from_iterator(list(texts), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=BOS_EOS_TOKEN, eos_token=BOS_EOS_TOKEN, pad_token=PAD_TOKEN,
        model_max_length=1_000_000,
    )
    if out_dir is not None:
        fast.save_pretrained(str(out_dir))
    return fast


def load_tokenizer(source: Path | str):
    """Load a tokenizer saved by `train_bpe_tokenizer` (or any local tokenizer folder)."""
    from transformers import AutoTokenizer

    source = Path(source)
    if not (source / "tokenizer.json").is_file() and not (source / "tokenizer_config.json").is_file():
        raise FileNotFoundError(f"{source} holds no tokenizer (run 00_data first)")
    return AutoTokenizer.from_pretrained(str(source))
