"""A sequential bottleneck adapter (Houlsby et al. 2019, Pfeiffer et al. 2021) after each block's MLP.

Why our own: PEFT 0.21 has no bottleneck adapter and the `adapters` package pins transformers 4.57,
which conflicts with the study's stack. The module is small: each decoder block's MLP output `h`
becomes `h + up(relu(down(h)))`, inside the block's residual branch (the Pfeiffer placement: after the
feed-forward layer only). `up` starts at zero, so a freshly wrapped model computes exactly what the base
model computed (identity at initialisation) and DPO's reference is the base model itself.

It plugs into the training seam as a custom variant (`peft_variants.CUSTOM_VARIANTS["bottleneck"]` ->
`wrap`; `modeling.CUSTOM_ADAPTER_SAVERS` -> `save`; `modeling.CUSTOM_ADAPTER_LOADERS` -> `load`). A saved
adapter is a folder with `adapter_config.json` (its base is the parent's card name, as for PEFT adapters)
and `adapter_model.safetensors` holding only the adapter weights; `load` puts it back on the parent model.
The adapter is nonlinear, so it cannot be merged into the base weights.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

VARIANT = "bottleneck"
CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
ADAPTER_TYPE = "helpers.training.bottleneck"
# reduction factor d_model / bottleneck size: 16 is the default of Pfeiffer et al.'s and Houlsby et al.'s configs
DEFAULT_REDUCTION_FACTOR = 16
# a decoder block's feed-forward module: `transformer.h.3.mlp` (GPT-2), `model.layers.3.mlp` (Llama and most others)
MLP_NAME = re.compile(r"(^|\.)\d+\.mlp$")


@dataclass(frozen=True)
class BottleneckConfig:
    """Where the adapters sit and how wide they are; written to `adapter_config.json`."""

    hidden_size: int
    bottleneck_size: int
    target_modules: tuple[str, ...]
    activation: str = "relu"
    init_std: float = 0.02
    base_model_name_or_path: str = ""

    def to_json(self) -> dict:
        """The config as saved next to the weights."""
        return {"peft_type": "BOTTLENECK", "adapter_type": ADAPTER_TYPE, **asdict(self),
                "target_modules": list(self.target_modules),
                "placement": "after each decoder block's MLP, inside its residual branch"}

    @classmethod
    def from_json(cls, data: dict, source: Path | str) -> BottleneckConfig:
        """Read a saved config; anything else than this module's adapter is a clear error."""
        if data.get("adapter_type") != ADAPTER_TYPE:
            raise ValueError(f"{source}: not a bottleneck adapter of this study (adapter_type "
                             f"{data.get('adapter_type')!r})")
        fields = {k: data[k] for k in ("hidden_size", "bottleneck_size", "activation", "init_std",
                                       "base_model_name_or_path") if k in data}
        return cls(target_modules=tuple(data["target_modules"]), **fields)


class BottleneckMLP(nn.Module):
    """The block's MLP followed by a residual bottleneck: `mlp(x) + up(act(down(mlp(x))))`."""

    def __init__(self, mlp: nn.Module, hidden_size: int, bottleneck_size: int, activation: str = "relu",
                 init_std: float = 0.02) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown adapter activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        self.base = mlp
        reference = next(mlp.parameters())
        self.adapter_down = nn.Linear(hidden_size, bottleneck_size, device=reference.device, dtype=reference.dtype)
        self.adapter_up = nn.Linear(bottleneck_size, hidden_size, device=reference.device, dtype=reference.dtype)
        self.activation = ACTIVATIONS[activation]()
        nn.init.normal_(self.adapter_down.weight, std=init_std)
        nn.init.zeros_(self.adapter_down.bias)
        # zero up-projection: the adapter adds exactly 0 until it is trained
        nn.init.zeros_(self.adapter_up.weight)
        nn.init.zeros_(self.adapter_up.bias)

    def forward(self, hidden_states: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        out = self.base(hidden_states, *args, **kwargs)
        return out + self.adapter_up(self.activation(self.adapter_down(out)))


ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


def hidden_size(model) -> int:
    """Width of the model's residual stream."""
    config = model.config
    for key in ("hidden_size", "n_embd", "d_model"):
        value = getattr(config, key, None)
        if isinstance(value, int):
            return value
    raise ValueError(f"cannot tell the hidden size of {type(model).__name__} (no hidden_size in its config)")


def target_modules(model) -> list[str]:
    """Names of the decoder blocks' MLP modules the adapters go after."""
    names = [name for name, _ in model.named_modules() if MLP_NAME.search(name)]
    if not names:
        raise ValueError(f"{type(model).__name__} has no decoder-block module named '<layer>.mlp': the bottleneck "
                         "adapter does not know where to go in this architecture")
    return names


def is_wrapped(model) -> bool:
    """Whether the model carries bottleneck adapters."""
    return any(isinstance(module, BottleneckMLP) for module in model.modules())


def _insert(model, config: BottleneckConfig) -> nn.Module:
    for name in config.target_modules:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        mlp = getattr(parent, child)
        if isinstance(mlp, BottleneckMLP):
            raise ValueError(f"{name} already carries a bottleneck adapter")
        setattr(parent, child, BottleneckMLP(mlp, config.hidden_size, config.bottleneck_size, config.activation,
                                             config.init_std))
    return model


def wrap(model, reduction_factor: int = DEFAULT_REDUCTION_FACTOR, bottleneck_size: int | None = None,
         activation: str = "relu", seed: int | None = None):
    """Insert an adapter after every block's MLP and freeze everything else (the seam's `wrap(model)` hook).

    The bottleneck is `hidden_size // reduction_factor` wide (at least 1) unless `bottleneck_size` is
    given. The down-projections draw from torch's global generator (seeded by the stage; `seed` fixes it).
    """
    if is_wrapped(model):
        raise ValueError("the model already carries bottleneck adapters")
    width = hidden_size(model)
    size = bottleneck_size or max(1, width // reduction_factor)
    config = BottleneckConfig(hidden_size=width, bottleneck_size=size, target_modules=tuple(target_modules(model)),
                              activation=activation)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    if seed is None:
        _insert(model, config)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            _insert(model, config)
    return model


def adapter_config(model) -> BottleneckConfig:
    """The config of the adapters a model carries."""
    names = tuple(name for name, module in model.named_modules() if isinstance(module, BottleneckMLP))
    if not names:
        raise ValueError("the model carries no bottleneck adapter")
    first = model.get_submodule(names[0])
    activation = next(k for k, v in ACTIVATIONS.items() if isinstance(first.activation, v))
    return BottleneckConfig(hidden_size=first.adapter_down.in_features, bottleneck_size=first.adapter_down.out_features,
                            target_modules=names, activation=activation)


def adapter_state_dict(model) -> dict[str, torch.Tensor]:
    """The adapter weights only (`...mlp.adapter_down.weight`, ...), detached copies on the CPU."""
    return {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()
            if ".adapter_down." in name or ".adapter_up." in name}


def save(model, out_dir: Path | str, base_name: str) -> None:
    """Write `adapter_config.json` (base: the parent's card name) and `adapter_model.safetensors`."""
    from safetensors.torch import save_file

    config = adapter_config(model)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {**config.to_json(), "base_model_name_or_path": base_name}
    (out_dir / CONFIG_FILE).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    save_file(adapter_state_dict(model), str(out_dir / WEIGHTS_FILE))


def load(base_model, folder: Path | str):
    """The parent model with the saved adapters of `folder` on top (the seam's `load(model, folder)` hook)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config_file, weights_file = folder / CONFIG_FILE, folder / WEIGHTS_FILE
    for needed in (config_file, weights_file):
        if not needed.is_file():
            raise FileNotFoundError(f"{folder}: bottleneck adapter folder lacks {needed.name}")
    config = BottleneckConfig.from_json(json.loads(config_file.read_text(encoding="utf-8")), config_file)
    if hidden_size(base_model) != config.hidden_size:
        raise ValueError(f"{folder}: adapter for hidden size {config.hidden_size}, but the base model has "
                         f"{hidden_size(base_model)}")
    missing_targets = sorted(set(config.target_modules) - set(target_modules(base_model)))
    if missing_targets:
        raise ValueError(f"{folder}: adapter targets {missing_targets[:3]} do not exist in the base model")
    for parameter in base_model.parameters():
        parameter.requires_grad_(False)
    model = _insert(base_model, config)
    weights = load_file(str(weights_file))
    expected = set(adapter_state_dict(model))
    if set(weights) != expected:
        raise ValueError(f"{weights_file}: holds {len(weights)} tensors, the adapter needs {len(expected)} "
                         f"(first difference: {sorted(set(weights) ^ expected)[:2]})")
    device = next(model.parameters()).device
    model.load_state_dict({k: v.to(device) for k, v in weights.items()}, strict=False)
    return model


def trainable_parameters(config: BottleneckConfig) -> int:
    """Adapter parameters: two projections with biases per target module."""
    per_module = 2 * config.hidden_size * config.bottleneck_size + config.bottleneck_size + config.hidden_size
    return per_module * len(config.target_modules)
