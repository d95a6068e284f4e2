"""Typed parameter schema, profile loading and validation: bad input fails before any compute."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from helpers import paths

COMMON_SECTION = "common"


class ParamsError(ValueError):
    """A parameter problem, with the file and key it concerns in the message."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: its name, accepted type, allowed values and meaning."""

    name: str
    kind: str  # int | float | str | bool | list[str] | list[int] | list[float] | dict[str,float] | dict[str,int] | str?
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    nonempty: bool = False
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def problem(self, value: Any) -> str | None:
        """Why `value` is not acceptable, or None when it is."""
        type_problem = _type_problem(self.kind, value)
        if type_problem:
            return type_problem
        if value is None:
            return None
        numbers = _numbers_in(self.kind, value)
        for number in numbers:
            if isinstance(number, float) and not math.isfinite(number):
                return f"must be finite, got {number!r}"
            if self.minimum is not None and number < self.minimum:
                return f"must be >= {self.minimum}, got {number!r}"
            if self.maximum is not None and number > self.maximum:
                return f"must be <= {self.maximum}, got {number!r}"
        if self.choices is not None:
            items = value if self.kind.startswith("list") else [value]
            for item in items:
                if item not in self.choices:
                    return f"must be one of {list(self.choices)}, got {item!r}"
        if self.nonempty and len(value) == 0:
            return "must not be empty"
        if self.check is not None:
            return self.check(value)
        return None


def _type_problem(kind: str, value: Any) -> str | None:
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if value is None:
        return None if optional else f"must be {base}, got null"
    expected = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "list[int]": lambda v: isinstance(v, list)
        and all(isinstance(x, int) and not isinstance(x, bool) for x in v),
        "list[float]": lambda v: isinstance(v, list)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v),
        "dict[str,float]": lambda v: isinstance(v, dict)
        and all(isinstance(k, str) and isinstance(x, (int, float)) and not isinstance(x, bool) for k, x in v.items()),
        "dict[str,int]": lambda v: isinstance(v, dict)
        and all(isinstance(k, str) and isinstance(x, int) and not isinstance(x, bool) for k, x in v.items()),
    }[base]
    if not expected(value):
        return f"must be {base}, got {type(value).__name__} {value!r}"
    return None


def _numbers_in(kind: str, value: Any) -> list[float]:
    base = kind.rstrip("?")
    if base in ("int", "float"):
        return [value]
    if base in ("list[int]", "list[float]"):
        return list(value)
    if base in ("dict[str,float]", "dict[str,int]"):
        return list(value.values())
    return []


class Params(Mapping[str, Any]):
    """Validated, read-only parameters of one stage, readable as attributes."""

    def __init__(self, stage: str, values: Mapping[str, Any]):
        self._stage = stage
        self._values = MappingProxyType(dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"stage {self._stage} has no parameter {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def stage(self) -> str:
        """Stage these parameters belong to."""
        return self._stage

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict copy, for JSON and papermill."""
        return json.loads(json.dumps(dict(self._values)))

    def digest(self) -> str:
        """Stable hash of the values (order-independent)."""
        return params_digest(self._values)

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Params[{self._stage}]({body})"


def params_digest(values: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a parameter mapping."""
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _specs() -> dict[str, list[ParamSpec]]:
    from helpers.param_specs import SPECS_BY_SECTION

    return SPECS_BY_SECTION


def _section_checks() -> dict[str, Callable[[Mapping[str, Any]], list[str]]]:
    from helpers.param_specs import SECTION_CHECKS

    return SECTION_CHECKS


def stage_keys(stage: str) -> list[str]:
    """Parameter names a stage's notebook declares: the common ones, then its own."""
    specs = _specs()
    if stage not in specs:
        raise ParamsError(f"no parameters are defined for stage {stage!r}")
    return [s.name for s in specs[COMMON_SECTION]] + [s.name for s in specs[stage]]


def _check_values(section: str, values: Mapping[str, Any], where: str, complete: bool = True,
                  origin: Callable[[str], str] | None = None) -> list[str]:
    specs = {s.name: s for s in _specs()[section]}
    problems = []
    for key, value in values.items():
        at = origin(key) if origin else where
        if key not in specs:
            hint = _closest(key, specs)
            problems.append(f"{at}: unknown key {section}.{key}" + (f" (did you mean {hint!r}?)" if hint else ""))
            continue
        problem = specs[key].problem(value)
        if problem:
            problems.append(f"{at}: {section}.{key} {problem}")
    if complete:
        for key in specs:
            if key not in values:
                problems.append(f"{where}: missing key {section}.{key} ({specs[key].doc})")
    if not problems and section in _section_checks():
        problems += [f"{where}: {section}: {p}" for p in _section_checks()[section](values)]
    return problems


def _closest(key: str, known: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    return found[0] if found else None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML would silently keep the last)."""


def _construct_unique_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            seen = first_line.get(key)
        except TypeError:  # an unhashable key: construct_mapping reports it with its position
            break
        if seen is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {seen + 1})", key_node.start_mark)
        first_line[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def yaml_error_message(path: Path, error: yaml.YAMLError, text: str) -> str:
    """`path:line:column: problem`, then the offending line with a caret, from PyYAML's marks."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if mark is None:
        return f"{path}: not valid YAML: {problem}"
    if context:
        # the context mark says where the construct that went wrong began, often lines earlier
        begun = f" begun on line {context_mark.line + 1}" if context_mark and context_mark.line != mark.line else ""
        problem += f" ({context}{begun})"
    message = f"{path}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {problem}"
    lines = text.splitlines()
    if mark.line < len(lines):
        number = str(mark.line + 1)
        message += f"\n    {number} | {lines[mark.line]}\n    {' ' * len(number)} | {' ' * mark.column}^"
    return message


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ParamsError(f"{path}: not UTF-8 text (byte {error.start}): is it a parameter file?") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise ParamsError(yaml_error_message(path, error, text)) from None


def _read_with_origins(path: Path, chain: tuple[Path, ...] = ()
                       ) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], Path]]:
    """Merged sections of a profile and, for each (section, key), the file of the `extends:` chain that set it."""
    if not path.is_file():
        raise ParamsError(f"{path}: no such parameter file")
    if path.resolve() in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path.resolve()))
        raise ParamsError(f"{path}: `extends:` goes round in a circle: {cycle}")
    raw = _load_yaml(path)
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: must be a mapping of sections, got {type(raw).__name__}")
    parent_name = raw.pop("extends", None)
    merged: dict[str, dict[str, Any]] = {}
    origins: dict[tuple[str, str], Path] = {}
    if parent_name is not None:
        if not isinstance(parent_name, str) or not parent_name:
            raise ParamsError(f"{path}: `extends:` must name a profile (e.g. `extends: default`), got {parent_name!r}")
        parent = path.parent / f"{parent_name}.yaml"
        if not parent.is_file():
            raise ParamsError(f"{path}: extends {parent_name!r} but {parent} does not exist")
        try:
            merged, origins = _read_with_origins(parent, (*chain, path.resolve()))
        except ParamsError as error:
            raise ParamsError(f"{error}\n  (read because {path} extends {parent_name!r})") from None
    known_sections = _specs()
    for section, values in raw.items():
        if section not in known_sections:
            hint = _closest(str(section), known_sections)
            raise ParamsError(
                f"{path}: unknown section {section!r}"
                + (f" (did you mean {hint!r}?)" if hint else f"; sections are {', '.join(known_sections)}")
            )
        if not isinstance(values, dict):
            raise ParamsError(f"{path}: section {section!r} must be a mapping, got {type(values).__name__}")
        merged.setdefault(section, {}).update(values)
        origins.update({(section, key): path for key in values})
    return merged, origins


def read_profile_file(path: Path) -> dict[str, dict[str, Any]]:
    """Raw sections of a profile file, following `extends:` to its parent profile."""
    return _read_with_origins(path)[0]


def load_profile(profile_or_path: str | Path) -> dict[str, dict[str, Any]]:
    """Validated sections of a profile (a name under `params/` or a YAML path); raises ParamsError."""
    path = Path(profile_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = paths.params_file(str(profile_or_path))
    sections, origins = _read_with_origins(path)
    problems = []
    if COMMON_SECTION not in sections:
        raise ParamsError(f"{path}: has no `common:` section")
    # a section may be absent (its stage cannot run then), but a present one must be complete
    for section in sections:
        # a bad value is reported in the file that set it, which may be a parent of `path`
        problems += _check_values(section, sections[section], str(path),
                                  origin=lambda key, s=section: str(origins.get((s, key), path)))
    if problems:
        raise ParamsError("invalid parameters:\n  " + "\n  ".join(problems))
    profile_name = sections[COMMON_SECTION]["profile"]
    if path.parent == paths.PARAMS_DIR and profile_name != path.stem:
        raise ParamsError(f"{path}: common.profile is {profile_name!r} but the file is {path.name}")
    return sections


def stage_params_from_profile(sections: Mapping[str, Mapping[str, Any]], stage: str) -> dict[str, Any]:
    """The flat parameters papermill injects into a stage's notebook."""
    return {**sections[COMMON_SECTION], **sections.get(stage, {})}


def validate_stage(stage: str, values: Mapping[str, Any], where: str | None = None) -> Params:
    """Validate a notebook's parameters (all of its keys, nothing else); raises ParamsError."""
    where = where or f"notebook {stage}"
    common = {s.name for s in _specs()[COMMON_SECTION]}
    problems = _check_values(COMMON_SECTION, {k: v for k, v in values.items() if k in common}, where)
    own = {k: v for k, v in values.items() if k not in common}
    problems += _check_values(stage, own, where)
    if problems:
        raise ParamsError("invalid parameters:\n  " + "\n  ".join(problems))
    ordered = {key: values[key] for key in stage_keys(stage)}
    return Params(stage, ordered)


def collect_from_namespace(stage: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Pick a notebook's declared parameters out of its global namespace."""
    missing = [key for key in stage_keys(stage) if key not in namespace]
    if missing:
        raise ParamsError(f"notebook {stage}: the parameters cell does not define {', '.join(missing)}")
    return {key: namespace[key] for key in stage_keys(stage)}
