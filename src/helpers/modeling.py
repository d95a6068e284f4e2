"""Model factory: small models from scratch, real pretrained models, model cards, saving and discovery.

A saved model is a folder with its weights (safetensors), tokenizer and `model_card.json`. A model
fine-tuned with a PEFT method can be saved as an adapter only: its card then names the model it was
trained from (`parent`, a card name of the same profile, with that model's digest) and `load_model`
loads the parent first and the adapter on top. `load_model` stays the one loader every notebook uses.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import io, paths

CARD_FILE = "model_card.json"
# files whose bytes define a saved model's behaviour; the card's digest covers exactly these
WEIGHT_SUFFIXES = (".safetensors",)
WEIGHT_CONFIGS = ("config.json", "adapter_config.json")
ADAPTER_CONFIG = "adapter_config.json"
# adapter_config.json keys PEFT holds as sets: written in hash-seed order, they changed the digest in every process
SET_VALUED_CONFIG_KEYS = ("target_modules", "feedforward_modules", "modules_to_save", "exclude_modules")
# adapter variants that are not PEFT methods: card.peft -> "module:function" building the model from
# (parent model, adapter folder); imported only when such a card is loaded (04's bottleneck adapter)
CUSTOM_ADAPTER_LOADERS: dict[str, str] = {"bottleneck": "helpers.training.bottleneck:load"}
# and the function saving such an adapter: card.peft -> "module:function" of (wrapped model, folder, parent card name)
CUSTOM_ADAPTER_SAVERS: dict[str, str] = {"bottleneck": "helpers.training.bottleneck:save"}


def _hook(target: str):
    """The function a "module:function" table entry names (imported on first use)."""
    import importlib

    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)


class ModelSourceError(ValueError):
    """A model id or path that cannot be loaded here; the message names it and says what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """Size and family of a model built from scratch."""

    architecture: str  # gpt2 | llama
    n_layers: int
    d_model: int
    n_heads: int
    context_length: int
    dropout: float = 0.0

    def describe(self) -> str:
        """Short name used as the `base` of model cards, e.g. `scratch:gpt2-L4-d128-h4-ctx128`."""
        return (f"scratch:{self.architecture}-L{self.n_layers}-d{self.d_model}-h{self.n_heads}"
                f"-ctx{self.context_length}")


def model_config(spec: ModelSpec, tokenizer) -> Any:
    """transformers configuration of a from-scratch model sized by `spec` for `tokenizer`'s vocabulary."""
    from transformers import GPT2Config, LlamaConfig

    if spec.d_model % spec.n_heads:
        raise ValueError(f"n_heads {spec.n_heads} must divide d_model {spec.d_model}")
    special = {"vocab_size": len(tokenizer), "bos_token_id": tokenizer.bos_token_id,
               "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id}
    if spec.architecture == "gpt2":
        return GPT2Config(n_positions=spec.context_length, n_embd=spec.d_model, n_layer=spec.n_layers,
                          n_head=spec.n_heads, resid_pdrop=spec.dropout, embd_pdrop=spec.dropout,
                          attn_pdrop=spec.dropout, tie_word_embeddings=True, **special)
    if spec.architecture == "llama":
        # SwiGLU with ~8/3 d hidden units keeps the MLP's parameter count close to GPT-2's 4d GELU
        hidden = max(8, int(8 * spec.d_model / 3 + 7) // 8 * 8)
        return LlamaConfig(hidden_size=spec.d_model, intermediate_size=hidden, num_hidden_layers=spec.n_layers,
                           num_attention_heads=spec.n_heads, num_key_value_heads=spec.n_heads,
                           max_position_embeddings=spec.context_length, attention_dropout=spec.dropout,
                           tie_word_embeddings=True, **special)
    raise ValueError(f"unknown architecture {spec.architecture!r}; choose gpt2 or llama")


def build_model(spec: ModelSpec, tokenizer, seed: int, device: str | None = None):
    """A freshly initialised causal LM (float32 weights; training adds bf16 autocast on GPUs), seeded."""
    import torch
    from transformers import AutoModelForCausalLM

    config = model_config(spec, tokenizer)
    # the seed alone fixes the initial weights, so every method starts from the same model
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config)
    if device is not None:
        model.to(device)
    return model


def count_parameters(model) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    seen = {p.data_ptr(): p.numel() for p in model.parameters()}
    return int(sum(seen.values()))


def _looks_like_path(source: str) -> bool:
    # a Hub id is `name` or `org/name`; anything else with separators can only be meant as a folder
    return source.startswith(("/", "./", "../", "~", ".")) or source.count("/") > 1 or "\\" in source


def _local_folder(source: str) -> Path | None:
    candidate = Path(source).expanduser()
    # a relative path may be meant from the working directory or, as in the parameter files, from the project
    places = [candidate] if candidate.is_absolute() else [Path.cwd() / candidate, paths.PROJECT_ROOT / candidate]
    for folder in places:
        if folder.is_dir():
            return folder.resolve()
    return None


def check_model_source(source: str) -> str:
    """Resolve a Hub id or local folder to what `from_pretrained` should load; raise ModelSourceError early."""
    if not isinstance(source, str) or not source.strip():
        raise ModelSourceError(f"model source must be a Hub id or a local folder, got {source!r}")
    folder = _local_folder(source)
    if folder is not None:
        if not (folder / "config.json").is_file():
            raise ModelSourceError(f"local model folder {folder} has no config.json: it is not a saved model")
        if not any(folder.glob("*.safetensors")):
            raise ModelSourceError(f"local model folder {folder} has no *.safetensors weights "
                                   "(only safetensors are loaded; convert .bin weights first)")
        return str(folder)
    if _looks_like_path(source):
        raise ModelSourceError(f"model path {source!r} does not exist (looked in {Path.cwd()} and "
                               f"{paths.PROJECT_ROOT})")
    return _check_hub_id(source)


def _check_hub_id(repo_id: str) -> str:
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise ModelSourceError(f"model id {repo_id!r} is neither an existing local folder nor a valid "
                               f"Hub id: {error}") from None
    cached = try_to_load_from_cache(repo_id, "config.json")
    if isinstance(cached, str):
        return repo_id
    if constants.is_offline_mode():
        raise ModelSourceError(
            f"model {repo_id!r} is not available offline: it is not in the local Hugging Face cache "
            f"({constants.HF_HUB_CACHE}) and no local folder has that name. Either download it where there is "
            f"network (`hf download {repo_id}`) and copy the cache here, or save it to a folder "
            f"(`save_pretrained`) and pass that folder's path instead of the id."
        )
    from huggingface_hub import model_info
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        model_info(repo_id)
    except GatedRepoError:
        raise ModelSourceError(f"model {repo_id!r} is gated on the Hub: accept its license and log in "
                               "(`hf auth login`) first") from None
    except RepositoryNotFoundError:
        raise ModelSourceError(f"model {repo_id!r} does not exist on the Hugging Face Hub (nor as a local "
                               "folder)") from None
    except Exception as error:  # network failures come in many types; each means the same thing here
        raise ModelSourceError(f"could not reach the Hugging Face Hub to check model {repo_id!r} ({error}); "
                               "set HF_HUB_OFFLINE=1 and pass a local folder, or retry with network") from None
    return repo_id


def load_pretrained(source: str, device: str = "auto", trust_remote_code: bool = False,
                    for_training: bool = False):
    """A real pretrained causal LM and its tokenizer, by Hub id or local folder (safetensors only)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from helpers.device import resolve_device, resolve_dtype

    resolved = check_model_source(source)
    target = resolve_device(device)
    import torch

    # training keeps float32 master weights (accelerate adds bf16 autocast); inference uses the device's dtype
    dtype = torch.float32 if for_training else resolve_dtype(target)
    try:
        model = AutoModelForCausalLM.from_pretrained(resolved, dtype=dtype, use_safetensors=True,
                                                     trust_remote_code=trust_remote_code)
        tokenizer = AutoTokenizer.from_pretrained(resolved, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise ModelSourceError(f"could not load model {source!r}: {error}") from None
    if tokenizer.pad_token is None:
        # batched generation and likelihood need a pad id; the end-of-text token is the usual stand-in
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(target), tokenizer


@dataclass
class ModelRecipe:
    """How to make the starting model of a training stage: its tokenizer, context and a fresh-copy builder."""

    base: str  # what the model starts from, written into model cards
    tokenizer: Any
    context_length: int
    build: Callable[[], Any]  # every call returns a fresh model with the same initial weights


def model_recipe(spec: ModelSpec, project_tokenizer, seed: int, pretrained_model: str | None = None,
                 trust_remote_code: bool = False) -> ModelRecipe:
    """From scratch with the project's tokenizer, or a pretrained model (checked now, before any training)."""
    if pretrained_model is None:
        return ModelRecipe(base=spec.describe(), tokenizer=project_tokenizer, context_length=spec.context_length,
                           build=lambda: build_model(spec, project_tokenizer, seed))
    from transformers import AutoConfig, AutoTokenizer

    source = check_model_source(pretrained_model)
    try:
        config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise ModelSourceError(f"could not load model {pretrained_model!r}: {error}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    limit = next((getattr(config, n) for n in ("n_positions", "max_position_embeddings")
                  if isinstance(getattr(config, n, None), int)), spec.context_length)

    def build():
        model, _ = load_pretrained(source, device="cpu", trust_remote_code=trust_remote_code, for_training=True)
        return model

    return ModelRecipe(base=pretrained_model, tokenizer=tokenizer, context_length=min(spec.context_length, limit),
                       build=build)


@dataclass
class ModelCard:
    """What a later notebook needs to find, load and evaluate a model without knowing who made it.

    `family` is the paper method (`DAPT` for `DAPT_lora16`; `method` itself for full fine-tuning),
    `parent` the card name the model was trained from (`""` when trained from scratch) and
    `parent_digest` that model's weights digest, `peft` `"full"` or the PEFT variant, `adapter` whether
    the folder holds only an adapter whose base is `parent`, `train_languages` the languages of the
    training data and `train_tokens` the tokens trained on. Cards written before these fields existed
    load with the defaults.
    """

    name: str
    method: str
    stage: str
    seed: int
    base: str
    path: str  # relative to the stage folder, e.g. models/INST
    generation_prefix: str = ""
    prefixes: dict[str, str] = field(default_factory=dict)
    model_digest: str = ""
    parameters: int = 0
    notes: str = ""
    family: str = ""
    parent: str = ""
    parent_digest: str = ""
    peft: str = "full"
    adapter: bool = False
    train_languages: list[str] = field(default_factory=list)
    train_tokens: int = 0
    trainable_parameters: int = 0
    root: Path | None = field(default=None, compare=False, repr=False)  # the stage folder; not serialised

    def __post_init__(self) -> None:
        if not self.family:
            self.family = self.method
        if self.adapter and not self.parent:
            raise ValueError(f"model card {self.name!r} is an adapter but names no parent model")

    @property
    def folder(self) -> Path:
        """Absolute folder of the saved model."""
        if self.root is None:
            raise ValueError(f"model card {self.name!r} is not attached to a stage folder (use read_card)")
        return self.root / self.path

    def to_json(self) -> dict[str, Any]:
        """The card's fields as written to model_card.json."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "root"}


def weights_digest(folder: Path) -> str:
    """sha256 over a saved model's weight files and config (not its card, logs or checkpoints)."""
    files = sorted(p for p in Path(folder).iterdir()
                   if p.is_file() and (p.suffix in WEIGHT_SUFFIXES or p.name in WEIGHT_CONFIGS))
    if not any(p.suffix in WEIGHT_SUFFIXES for p in files):
        raise FileNotFoundError(f"{folder} holds no *.safetensors weights")
    return io.text_sha256("|".join(f"{p.name}:{io.file_sha256(p, 64)}" for p in files))


def is_peft_model(model) -> bool:
    """Whether the model is wrapped by PEFT (an adapter on top of a base model)."""
    try:
        from peft import PeftModel
    except ImportError:
        return False
    return isinstance(model, PeftModel)


def count_trainable_parameters(model) -> int:
    """Number of distinct parameters that require gradients."""
    seen = {p.data_ptr(): p.numel() for p in model.parameters() if p.requires_grad}
    return int(sum(seen.values()))


def _sort_set_valued_keys(config_file: Path) -> None:
    """Rewrite a saved adapter config with its set-valued lists sorted, so equal adapters have equal bytes."""
    config = json.loads(config_file.read_text())
    for key in SET_VALUED_CONFIG_KEYS:
        if isinstance(config.get(key), list):
            config[key] = sorted(config[key])
    # PEFT's own layout (indent 2, sorted keys), so the file reads as PEFT wrote it
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True))


def save_model(model, tokenizer, out_dir: Path, card: ModelCard) -> ModelCard:
    """Save weights (safetensors), tokenizer and `model_card.json`; return the card with digest and size filled.

    An adapter card (`card.adapter`) saves only the PEFT adapter of `model`, with the parent's card name as
    its base; a PEFT model with a non-adapter card must be merged first (`merge_and_unload`).
    """
    out_dir = Path(out_dir).resolve()
    depth = len(Path(card.path).parts)
    if Path(*out_dir.parts[-depth:]) != Path(card.path):
        raise ValueError(f"card path {card.path!r} must be the tail of the output folder {out_dir}")
    peft_model = is_peft_model(model)
    custom = card.peft in CUSTOM_ADAPTER_SAVERS
    if custom and not card.adapter:
        raise ValueError(f"card {card.name!r}: a {card.peft!r} adapter cannot be merged into full weights; "
                         "save it as an adapter")
    if card.adapter and not peft_model and not custom:
        raise ValueError(f"card {card.name!r} is an adapter card but the model carries no PEFT adapter")
    if peft_model and not card.adapter:
        raise ValueError(f"card {card.name!r} is a full-model card but the model is PEFT-wrapped: "
                         "merge it first (model.merge_and_unload()) or save it as an adapter")
    out_dir.mkdir(parents=True, exist_ok=True)
    if custom:
        _hook(CUSTOM_ADAPTER_SAVERS[card.peft])(model, out_dir, card.parent)
    elif peft_model:
        for config in model.peft_config.values():
            # the adapter's base is the parent card (a name of this study), not a path on this machine
            config.base_model_name_or_path = card.parent
        # the study never resizes the vocabulary, so the adapter holds no embedding copy
        model.save_pretrained(str(out_dir), save_embedding_layers=False)
        _sort_set_valued_keys(out_dir / ADAPTER_CONFIG)
    else:
        model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    root = out_dir.parents[depth - 1]
    filled = dataclasses.replace(card, model_digest=weights_digest(out_dir), parameters=count_parameters(model),
                                 trainable_parameters=card.trainable_parameters or count_trainable_parameters(model),
                                 root=root)
    io.write_json(out_dir / CARD_FILE, filled.to_json())
    return filled


def read_card(card_file: Path) -> ModelCard:
    """A model card read from disk, attached to its stage folder."""
    card_file = Path(card_file)
    data = io.read_json(card_file)
    known = {f.name for f in dataclasses.fields(ModelCard)} - {"root"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{card_file}: unknown card fields {sorted(unknown)}")
    root = card_file.resolve().parents[len(Path(data["path"]).parts)]
    return ModelCard(**data, root=root)


def _stage_finished(folder: Path) -> bool:
    status = folder / "manifest.json"
    return status.is_file() and io.read_json(status).get("status") == "ok"


def discover_models(profile: str) -> list[ModelCard]:
    """Cards of every model saved by a finished stage of a profile, in stage order then by name."""
    cards = []
    for stage in paths.STAGES:
        folder = paths.profile_dir(profile) / stage
        if not _stage_finished(folder):
            continue
        for card_file in sorted(folder.glob(f"models/*/{CARD_FILE}")):
            cards.append(read_card(card_file))
    return cards


def model_name(method: str, seed: int) -> str:
    """The study's name of a (method, seed) model, e.g. `DAPT-s2` (INTERFACES.md)."""
    return f"{method}-s{seed}"


def select_card(cards: Sequence[ModelCard], name: str, where: str = "") -> ModelCard:
    """The card called `name`; `BASE-s0` also finds a card `BASE` of seed 0 (saved before seeds were in names)."""
    for card in cards:
        if card.name == name:
            return card
    match = re.fullmatch(r"(.+)-s(\d+)", name)
    if match:
        for card in cards:
            if card.name == match.group(1) and card.seed == int(match.group(2)):
                return card
    available = ", ".join(sorted(c.name for c in cards)) or "none"
    raise ValueError(f"no model card named {name!r}{' in ' + where if where else ''}; available cards: {available}")


def resolve_card(profile: str, name: str) -> ModelCard:
    """The card of a finished stage called `name` (e.g. a fine-tuning notebook's `base_model`), or a clear error."""
    return select_card(discover_models(profile), name, f"the finished stages of profile {profile!r}")


def parent_card(card: ModelCard) -> ModelCard:
    """The card an adapter was trained from, found by name among the stages of the card's profile folder."""
    profile_folder = card.root.parent if card.root is not None else None
    candidates = []
    if profile_folder is not None:
        for stage in paths.STAGES:
            candidates += [read_card(f) for f in sorted((profile_folder / stage).glob(f"models/*/{CARD_FILE}"))]
    parent = select_card(candidates, card.parent, f"{profile_folder} (parent of adapter {card.name!r})")
    if card.parent_digest and parent.model_digest != card.parent_digest:
        raise ValueError(f"adapter {card.name!r} was trained on {parent.name!r} with digest {card.parent_digest}, "
                         f"but {parent.folder} now holds digest {parent.model_digest}: retrain the adapter")
    return parent


def load_model(card: ModelCard, device: str = "auto", for_training: bool = False):
    """Load a carded model and its tokenizer for evaluation, after checking its weights' digest.

    An adapter card loads its parent model (checked the same way) and the adapter on top of it.
    `for_training` keeps float32 master weights on every device (training adds bf16 autocast on GPUs)
    and returns the model in train mode.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from helpers.device import resolve_device, resolve_dtype

    folder = card.folder
    if not (folder / CARD_FILE).is_file():
        raise FileNotFoundError(f"{folder} holds no saved model (no {CARD_FILE})")
    actual = weights_digest(folder)
    if actual != card.model_digest:
        raise ValueError(f"{folder}: weights digest {actual} differs from the card's {card.model_digest}")
    import torch

    target = resolve_device(device)
    dtype = torch.float32 if for_training else resolve_dtype(target)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if not card.adapter:
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype, use_safetensors=True)
        model = model.to(target)
        return (model.train() if for_training else model.eval()), tokenizer
    base, _ = load_model(parent_card(card), device, for_training)
    if card.peft in CUSTOM_ADAPTER_LOADERS:
        model = _hook(CUSTOM_ADAPTER_LOADERS[card.peft])(base, folder)
    elif (folder / ADAPTER_CONFIG).is_file():
        from peft import PeftModel

        model = PeftModel.from_pretrained(base, str(folder), is_trainable=for_training)
    else:
        raise ValueError(f"{folder}: adapter card {card.name!r} (peft {card.peft!r}) holds no {ADAPTER_CONFIG} "
                         f"and no loader is registered for it in CUSTOM_ADAPTER_LOADERS")
    model = model.to(target)
    return (model.train() if for_training else model.eval()), tokenizer
