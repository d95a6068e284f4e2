"""Full fine-tuning or a parameter-efficient variant, chosen by name: LoRA (ranks 4, 16, 64) and IA3 from PEFT.

Every trainer of the seam takes a variant name (`"full"`, `"lora4"`, `"lora16"`, `"lora64"`, `"ia3"`) and
wraps the model with `prepare_model` before training. PEFT silently skips target names that match no
module, so the wrap is checked: it must wrap at least one module and leave a trainable share strictly
between 0 and 1 (`PeftReport`). LoRA follows Neplenbroek et al.'s QLoRA recipe without quantisation
(all linear layers, alpha 16, dropout 0.1); GPT-2's attention and MLP are `Conv1D` layers, which LoRA and
IA3 need with `fan_in_fan_out=True`.

Variants PEFT does not have (04's bottleneck adapter) plug in through `CUSTOM_VARIANTS`: variant name ->
"module:function" of a `wrap(model) -> model` that leaves only its adapter trainable; the saved adapter is
loaded back by `helpers.modeling.CUSTOM_ADAPTER_LOADERS`.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import Any

FULL = "full"
LORA_RANKS = {"lora4": 4, "lora16": 16, "lora64": 64}
PEFT_VARIANTS = (FULL, *LORA_RANKS, "ia3")
# 04's bottleneck adapter (helpers.training.bottleneck), imported only when the variant is asked for
CUSTOM_VARIANTS: dict[str, str] = {"bottleneck": "helpers.training.bottleneck:wrap"}
# LoRA targets per architecture; other architectures use PEFT's "all-linear"
LORA_TARGETS = {"gpt2": ["c_attn", "c_proj", "c_fc"],
                "llama": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}
CONV1D_ARCHITECTURES = ("gpt2",)


@dataclass(frozen=True)
class PeftReport:
    """What a wrap did: the variant, the wrapped modules and the trainable share."""

    variant: str
    wrapped_modules: tuple[str, ...]
    trainable_parameters: int
    total_parameters: int

    @property
    def trainable_share(self) -> float:
        """Trainable parameters over all parameters."""
        return self.trainable_parameters / max(1, self.total_parameters)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for summaries (module names left out: the count says enough)."""
        out = asdict(self)
        out["wrapped_modules"] = len(self.wrapped_modules)
        out["trainable_share"] = round(self.trainable_share, 6)
        return out


def check_variant(variant: str) -> None:
    """Raise a clear error for an unknown variant name."""
    if variant not in PEFT_VARIANTS and variant not in CUSTOM_VARIANTS:
        raise ValueError(f"unknown PEFT variant {variant!r}; variants are {', '.join(PEFT_VARIANTS + tuple(CUSTOM_VARIANTS))}")


def peft_config(variant: str, model, lora_alpha: float = 16.0, lora_dropout: float = 0.1):
    """The PEFT config of a variant for this model's architecture; None for full fine-tuning."""
    from peft import IA3Config, LoraConfig, TaskType

    check_variant(variant)
    if variant == FULL or variant in CUSTOM_VARIANTS:
        return None
    architecture = getattr(model.config, "model_type", "")
    conv1d = architecture in CONV1D_ARCHITECTURES
    if variant in LORA_RANKS:
        return LoraConfig(task_type=TaskType.CAUSAL_LM, r=LORA_RANKS[variant], lora_alpha=lora_alpha,
                          lora_dropout=lora_dropout, bias="none", fan_in_fan_out=conv1d,
                          target_modules=LORA_TARGETS.get(architecture, "all-linear"))
    # IA3: PEFT's per-architecture defaults (GPT-2: attention c_attn and the MLP output, scaled on its input)
    return IA3Config(task_type=TaskType.CAUSAL_LM, fan_in_fan_out=conv1d)


def wrapped_modules(model) -> tuple[str, ...]:
    """Names of the modules a PEFT (or custom) adapter wraps."""
    markers = ("lora_A", "ia3_l", "adapter_down")
    return tuple(name for name, module in model.named_modules() if any(hasattr(module, m) for m in markers))


def peft_report(model, variant: str) -> PeftReport:
    """Wrapped modules and trainable share of a prepared model."""
    from helpers.modeling import count_parameters, count_trainable_parameters

    return PeftReport(variant=variant, wrapped_modules=wrapped_modules(model) if variant != FULL else (),
                      trainable_parameters=count_trainable_parameters(model), total_parameters=count_parameters(model))


def prepare_model(model, variant: str, lora_alpha: float = 16.0, lora_dropout: float = 0.1) -> tuple[Any, PeftReport]:
    """The model ready to train under `variant` (full: unchanged, every parameter trainable) and what was wrapped."""
    check_variant(variant)
    if variant == FULL:
        for parameter in model.parameters():
            parameter.requires_grad_(True)
        return model, peft_report(model, variant)
    if variant in CUSTOM_VARIANTS:
        module, function = CUSTOM_VARIANTS[variant].split(":")
        model = getattr(importlib.import_module(module), function)(model)
    else:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config(variant, model, lora_alpha, lora_dropout))
    report = peft_report(model, variant)
    if not report.wrapped_modules or not 0 < report.trainable_share < 1:
        raise ValueError(f"PEFT variant {variant!r} wrapped {len(report.wrapped_modules)} modules and left "
                         f"{report.trainable_parameters:,} of {report.total_parameters:,} parameters trainable: "
                         "its target modules match nothing in this architecture")
    return model, report


def finish_model(model, merge: bool):
    """After training: a PEFT model merged into plain weights (`merge`) or kept as base + adapter."""
    from helpers.modeling import is_peft_model

    if merge and is_peft_model(model):
        return model.merge_and_unload()
    return model
