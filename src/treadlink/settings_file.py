"""Settings from a YAML file with `TREADLINK_*` environment variables on top, and their errors
named by file, line and field (or by the variable, or the command-line option, they came from).

The shared half of the runner profile (config.py) and the `mqtt:` section (mqtt/settings.py),
on the neutral input helpers of treadlink.sources; problems are raised as ConfigError.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from treadlink.sources import Problem, SourceMap, load_yaml, reported_as


def read_config_file(path: Path | str | None = None) -> tuple[Any, SourceMap]:
    """The config file's data and source map: `path`, else $TREADLINK_CONFIG, else the default
    file. A missing default file is no settings (`{}`); a file that was named must exist."""
    from treadlink.config import CONFIG_ENV, ConfigError, default_config_path

    named = path if path is not None else os.environ.get(CONFIG_ENV) or None
    file = Path(named) if named is not None else default_config_path()
    if named is None and not file.exists():
        return {}, SourceMap(str(file))
    with reported_as(ConfigError):
        return load_yaml(file)


class FileThenEnvironment(BaseSettings):
    """The file's values arrive as init arguments; the environment overrides them."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings


def check_keys(data: Mapping[Any, Any], source: SourceMap, at: Sequence[str] = ()) -> None:
    """`_env_file` and friends would be taken as pydantic-settings options: refuse them."""
    from treadlink.config import ConfigError

    bad = [k for k in data if not isinstance(k, str) or k.startswith("_")]
    if bad:
        raise ConfigError([source.problem((*at, k), f"unknown key {k!r}") for k in bad])


def settings_problems(
    error: ValidationError,
    source: SourceMap,
    *,
    env_prefix: str,
    known: Iterable[str],
    at: Sequence[str] = (),
    options: Mapping[str, str] | None = None,
) -> list[Problem]:
    """One problem per pydantic error. `at` is where the settings sit in the file (`("mqtt",)`);
    `options` maps a field to the command-line option that set it."""
    problems: list[Problem] = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if p != "[key]")  # pydantic marks dict keys
        field = str(loc[0]) if loc else ""
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown key {field!r} (known: {', '.join(known)})"
        elif "input" in err and not isinstance(err["input"], dict | list):
            message += f", got {err['input']!r}"
        env_name = env_prefix + field.upper()
        if field and env_name in os.environ:
            problems.append(Problem(f"${env_name}", None, "", message))
        elif options and field in options:
            problems.append(Problem("command line", None, options[field], message))
        else:
            path = (*at, *loc)
            problems.append(source.problem(path, message, ".".join(str(p) for p in path)))
    return problems
