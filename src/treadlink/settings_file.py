"""The config file and the environment, read the same way for every part that has settings:
the runner profile at the top level (treadlink.config), the `mqtt:` section (treadlink.mqtt).

    file = read_config_file(path)              # `path`, else $TREADLINK_CONFIG, else the default
    profile = load_settings(RunnerProfile, file.top_level(), file.source)
    mqtt = load_settings(MqttSettings, file.section("mqtt"), file.source, at=("mqtt",),
                         command_line={"broker": ("--broker", url)})

Precedence, lowest first: the file, the environment (the class's prefix: `TREADLINK_RUN_SPEED`,
`TREADLINK_MQTT_BROKER`), the command line. Mappings merge across layers (a variable that sets one
pace keeps the file's others). Each layer is read here, so a bad value is named by where it came
from: the file's line and field, the variable as it is spelled in the environment (names are not
case-sensitive, as pydantic-settings reads them), or the option. Never a silent fallback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
)

from treadlink.sources import InputError, Problem, SourceMap, excerpt, load_yaml, reported_as

CONFIG_ENV: Final = "TREADLINK_CONFIG"
SECTIONS: Final = ("mqtt",)  # top-level keys that hold a part's settings of its own

CommandLine = Mapping[str, tuple[str, Any]]  # field -> (the option that set it, its value)


class ConfigError(InputError):
    """A config file, variable or option that cannot be used; `problems` says where."""


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "treadlink" / "config.yaml"


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The config file's settings and the line of each."""

    data: Mapping[Any, Any]
    source: SourceMap

    def top_level(self) -> dict[Any, Any]:
        """The runner profile's settings: everything but the sections."""
        return {k: v for k, v in self.data.items() if k not in SECTIONS}

    def section(self, name: str) -> dict[Any, Any]:
        """A section's settings; none when it is absent or empty (`mqtt:` alone)."""
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ConfigError(
                [self.source.problem((name,), f"the {name} section must be a mapping")]
            )
        return value


def read_config_file(path: Path | str | None = None) -> ConfigFile:
    """`path`, else $TREADLINK_CONFIG, else the default file. A missing default file is no
    settings; a file that was named must exist; either must be a mapping."""
    named = path if path is not None else os.environ.get(CONFIG_ENV) or None
    file = Path(named) if named is not None else default_config_path()
    if named is None and not file.exists():
        return ConfigFile({}, SourceMap(str(file)))
    with reported_as(ConfigError):
        data, source = load_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError([source.problem((), "a config file must be a mapping of settings")])
    return ConfigFile(data, source)


class Settings(BaseSettings):
    """Settings `load_settings` makes. Made directly they hold what they are given, else the
    defaults: only `load_settings` reads the environment, so its precedence and its errors are
    decided in one place (and a test's `RunnerProfile()` is the same on every machine)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings[S: Settings](
    cls: type[S],
    values: Mapping[Any, Any],
    source: SourceMap,
    *,
    at: Sequence[str] = (),
    command_line: CommandLine | None = None,
) -> S:
    """`cls` from the file's `values` (found at `at` in it), the environment on top, then the
    command line on top. Raises ConfigError naming where every bad value came from."""
    _check_keys(values, source, at)
    environment = _environment(cls)
    options = dict(command_line or {})
    layered = _layered(values, environment, {k: value for k, (_, value) in options.items()})
    try:
        return cls(**layered)
    except ValidationError as e:
        known = [*cls.model_fields, *(() if at else SECTIONS)]
        origin = _Origin(source, at, _prefix(cls), environment, options)
        raise ConfigError(
            [origin.problem(_where(err), _message(err, cls, known)) for err in e.errors()]
        ) from None


def _check_keys(values: Mapping[Any, Any], source: SourceMap, at: Sequence[str]) -> None:
    # `_env_file` and friends would be taken as pydantic-settings options, not settings.
    bad = [k for k in values if not isinstance(k, str) or k.startswith("_")]
    if bad:
        raise ConfigError([source.problem((*at, k), f"unknown key {excerpt(k)}") for k in bad])


def _prefix(cls: type[Settings]) -> str:
    return str(cls.model_config.get("env_prefix", ""))


def _spelled(name: str) -> str | None:
    """The variable `name` as the environment spells it (pydantic-settings ignores case)."""
    for key in os.environ:
        if key.upper() == name.upper():
            return key
    return None


def _environment(cls: type[Settings]) -> dict[str, Any]:
    """The settings of `cls` that its variables set, decoded as pydantic-settings decodes them."""
    reader = EnvSettingsSource(cls)
    for name, field in cls.model_fields.items():
        if reader.field_is_complex(field):
            _check_json(_prefix(cls) + name.upper(), field)
    try:
        return reader()
    except SettingsError as e:  # a variable pydantic-settings could not decode after all
        raise ConfigError.of(f"${_prefix(cls)}*", f"cannot read the environment: {e}") from None


def _check_json(variable: str, field: FieldInfo) -> None:
    """A mapping or list comes from its variable as JSON: say so, naming the variable."""
    name = _spelled(variable)
    if name is None:
        return
    text = os.environ[name]
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        example = field.examples[0] if field.examples else None
        kind = "object" if isinstance(example, dict) else "array"
        like = "JSON" if example is None else f"a JSON {kind} like {json.dumps(example)}"
        raise ConfigError.of(f"${name}", f"must be {like}, got {excerpt(text)}") from None


def _layered(*layers: Mapping[Any, Any]) -> dict[Any, Any]:
    """Later layers win; mappings under the same key merge, as pydantic-settings merges them."""
    out: dict[Any, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            below = out.get(key)
            if isinstance(below, Mapping) and isinstance(value, Mapping):
                value = _layered(below, value)
            out[key] = value
    return out


def _where(err: Any) -> tuple[Any, ...]:
    return tuple(p for p in err["loc"] if p != "[key]")  # pydantic marks dict keys


def _keys_at(cls: type[BaseModel], path: Sequence[Any]) -> list[str]:
    """The keys the mapping at `path` takes (a model's fields, through mappings' values), or
    none when they cannot be told."""
    shape: Any = cls
    for part in path:
        if isinstance(shape, type) and issubclass(shape, BaseModel):
            field = shape.model_fields.get(str(part))
            if field is None:
                return []
            shape = field.annotation
        elif get_origin(shape) in (dict, Mapping) and len(get_args(shape)) == 2:
            shape = get_args(shape)[1]  # `part` named one of the mapping's entries
        else:
            return []
    if isinstance(shape, type) and issubclass(shape, BaseModel):
        return list(shape.model_fields)
    return []


def _holds(layer: Mapping[Any, Any], path: Sequence[Any]) -> bool:
    for part in path:
        if not isinstance(layer, Mapping) or part not in layer:
            return False
        layer = layer[part]
    return bool(path)


def _message(err: Any, cls: type[Settings], known: Sequence[str]) -> str:
    field = str(err["loc"][0]) if err["loc"] else ""
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        loc = _where(err)
        if len(loc) > 1:  # inside a section: its own key, and the keys that section knows
            known = _keys_at(cls, loc[:-1])
        key = excerpt(str(loc[-1])) if loc else excerpt(field)
        return f"unknown key {key}" + (f" (known: {', '.join(known)})" if known else "")
    shown = field not in cls.model_fields or cls.model_fields[field].repr  # not a password
    # Our own validators (type value_error) quote the value already.
    if shown and err["type"] != "value_error" and not isinstance(err.get("input", {}), dict | list):
        message += f", got {excerpt(err['input'])}"
    return message


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where a value came from: the command line, else the environment, else the file."""

    source: SourceMap
    at: Sequence[str]
    prefix: str
    environment: Mapping[str, Any]
    options: CommandLine

    def problem(self, loc: tuple[Any, ...], message: str) -> Problem:
        field = str(loc[0]) if loc else ""
        if field in self.options:
            return Problem("command line", None, self.options[field][0], message)
        if _holds(self.environment, loc):
            name = self.prefix + field.upper()
            return Problem(f"${_spelled(name) or name}", None, "", message)
        path = (*self.at, *loc)
        return self.source.problem(path, message, ".".join(excerpt(p, quote=False) for p in path))
