"""SR_LLM (Raza et al. 2024): instruction fine-tuning on biased -> debiased rewrites, and how good the rewrites are.

The instruction template is a parameter with two fields, `{biased}` and `{debiased}`: everything up to
`{debiased}` is the prompt, the rest the completion the loss is computed on. `SR_LLM_ORIGINAL_TEMPLATE` is
the repository's training text (`utils/params.py`: a Llama-2 system prompt and `[INST]` block, with its
literal `<s/>` closing string), with our field names. Its system prompt alone is longer than the default
profile's whole context, so the study's default `SR_LLM_SHORT_TEMPLATE` keeps the `[INST]` instruction and
drops the system prompt: an adaptation for a tiny model, not the paper's string.

The rewrites themselves are scored by `helpers.metrics.rewrites`.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

SR_LLM_ORIGINAL_TEMPLATE = (
    "<s>\n"
    "<<SYS>>You are a text debiasing bot, you take as input a text and you output its debiased version by "
    "rephrasing it to be free from any age, gender, political, social or socio-economic biases ,  without any "
    "extra outputs<</SYS>>\n"
    "[INST] Debias this text by rephrasing it to be free of bias : {biased} [/INST]\n"
    "{debiased}\n"
    "<s/>"
)
SR_LLM_SHORT_TEMPLATE = "[INST] Debias this text: {biased} [/INST]\n{debiased}"
FIELDS = ("biased", "debiased")


@dataclass(frozen=True)
class InstructionTemplate:
    """A rewrite template split at `{debiased}`: the prompt part (with `{biased}`) and the completion part."""

    prompt: str
    completion: str

    @classmethod
    def parse(cls, template: str) -> InstructionTemplate:
        """Check the template has exactly `{biased}` then `{debiased}` (no other field) and split it."""
        problem = template_problem(template)
        if problem:
            raise ValueError(f"instruction template {template!r} {problem}")
        cut = template.index("{debiased}")
        return cls(prompt=template[:cut], completion=template[cut:])

    def render_prompt(self, biased: str) -> str:
        """The prompt the model reads (and continues) for one input."""
        return self.prompt.replace("{biased}", biased)

    def render_completion(self, debiased: str) -> str:
        """The completion it is trained to write."""
        return self.completion.replace("{debiased}", debiased)

    def render(self, biased: str, debiased: str) -> str:
        """The whole training text of one pair."""
        return self.render_prompt(biased) + self.render_completion(debiased)

    def extract(self, generated: str) -> str:
        """The rewrite inside a generated completion: what follows the completion's head, before its tail."""
        head, _, tail = self.completion.partition("{debiased}")
        text = generated[len(head):] if head and generated.startswith(head) else generated
        if tail.strip() and tail.strip() in text:
            text = text[: text.index(tail.strip())]
        return text.strip()


def template_problem(template: str) -> str | None:
    """Why a string is not a usable rewrite template, or None (used by the parameter check)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        return f"is not a valid template: {error}"
    if sorted(names) != sorted(FIELDS):
        return f"must contain the fields {{biased}} and {{debiased}} once each and no other, found {names}"
    if template.index("{biased}") > template.index("{debiased}"):
        return "must put {biased} (the prompt) before {debiased} (the completion)"
    return None


def rewrite_examples(pairs: pd.DataFrame, template: InstructionTemplate) -> pd.DataFrame:
    """Prompt/completion rows of rewrite pairs (`biased`, `debiased`), for `helpers.training.sft.train_sft`."""
    return pd.DataFrame({"prompt": [template.render_prompt(b) for b in pairs["biased"]],
                         "completion": [template.render_completion(d) for d in pairs["debiased"]],
                         "language": pairs["language"].to_numpy(), "pair_id": pairs["pair_id"].to_numpy()})


def split_pairs(pairs: pd.DataFrame, heldout: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out pairs: `heldout` pairs per language chosen by a seeded hash of the id."""
    from helpers.seeding import derived_seed

    rank = pairs["pair_id"].map(lambda key: derived_seed(seed, "rewrite-heldout", key))
    ordered = pairs.assign(_rank=rank).sort_values(["language", "_rank"], kind="stable")
    held = ordered.groupby("language", sort=True).head(heldout)
    train = pairs[~pairs["pair_id"].isin(held["pair_id"])].reset_index(drop=True)
    return train, held.drop(columns="_rank").sort_values("pair_id").reset_index(drop=True)


def generate_rewrites(model, tokenizer, inputs: Sequence[str], template: InstructionTemplate, max_new_tokens: int,
                      seed: int, batch_size: int = 64, cache_dir=None, model_digest: str | None = None) -> list[str]:
    """Greedy rewrites of `inputs` with the study's generation engine (BOS + prompt, then the model writes)."""
    from helpers.engines.generation import DecodingConfig, generate_continuations

    decoding = DecodingConfig(num_samples=1, max_new_tokens=max_new_tokens, do_sample=False)
    frame = generate_continuations(model, tokenizer, [template.render_prompt(t) for t in inputs], decoding, seed,
                                   batch_size=batch_size, cache_dir=cache_dir, model_digest=model_digest)
    return [template.extract(text) for text in frame["continuation"]]
