"""Scenario files: timed console presses and faults, validated up front, run on the loop clock.

- {at: 30, do: console_speed, speed_kmh: 9.5}
- {at: 60, do: set_fault, fault: speed_runaway, runaway_kmh: 2}
- {at: 75, do: clear_fault, fault: speed_runaway}
- {at: 80, do: set_fault, fault: late_answers, late_s: 0.2}
- {at: 90, do: console_stop}
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from treadlink.sources import BadInput, excerpt
from treadlink_sim.faults import PARAMETERS, Fault
from treadlink_sim.inputs import read_yaml
from treadlink_sim.profile import MachineProfile
from treadlink_sim.protocols import fault_problem
from treadlink_sim.treadmill import TreadmillSimulator


class ScenarioError(BadInput):
    """A scenario that cannot be read or validated; the message names the step."""


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: float = Field(ge=0, allow_inf_nan=False, description="seconds since the scenario started")

    async def apply(self, sim: TreadmillSimulator) -> None:
        raise NotImplementedError

    def check(self, profile: MachineProfile) -> None:
        """Raise ValueError if the step cannot happen on this machine."""


class ConsoleStart(_Step):
    do: Literal["console_start"]

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.console_start()


class ConsoleStop(_Step):
    do: Literal["console_stop"]

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.console_stop()


class ConsolePause(_Step):
    do: Literal["console_pause"]

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.console_pause()


class ConsoleSpeed(_Step):
    do: Literal["console_speed"]
    speed_kmh: float = Field(allow_inf_nan=False)

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.console_set_speed(self.speed_kmh)

    def check(self, profile: MachineProfile) -> None:
        _check_grid(self.speed_kmh, profile, "speed")


class ConsoleIncline(_Step):
    do: Literal["console_incline"]
    incline_pct: float = Field(allow_inf_nan=False)

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.console_set_incline(self.incline_pct)

    def check(self, profile: MachineProfile) -> None:
        if not profile.incline:
            raise ValueError(f"profile {profile.name!r} has no incline")
        _check_grid(self.incline_pct, profile, "incline")


class DropLink(_Step):
    do: Literal["drop_link"]

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.drop_link()


class SetFault(_Step):
    do: Literal["set_fault"]
    fault: Fault
    runaway_kmh: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    late_s: float | None = Field(default=None, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _parameter(self) -> Self:
        for fault, name in PARAMETERS.items():
            if (self.fault is fault) != (getattr(self, name) is not None):
                raise ValueError(f"{name} is given with, and only with, fault {fault}")
        return self

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.set_fault(self.fault, runaway_kmh=self.runaway_kmh, late_s=self.late_s)

    def check(self, profile: MachineProfile) -> None:
        if (problem := fault_problem(profile, self.fault)) is not None:
            raise ValueError(problem)


class ClearFault(_Step):
    do: Literal["clear_fault"]
    fault: Fault

    async def apply(self, sim: TreadmillSimulator) -> None:
        await sim.clear_fault(self.fault)


Step = Annotated[
    ConsoleStart
    | ConsoleStop
    | ConsolePause
    | ConsoleSpeed
    | ConsoleIncline
    | DropLink
    | SetFault
    | ClearFault,
    Field(discriminator="do"),
]
_STEP: TypeAdapter[Step] = TypeAdapter(Step)
ACTIONS = tuple(
    model.model_fields["do"].annotation.__args__[0]  # type: ignore[union-attr]
    for model in (
        ConsoleStart,
        ConsoleStop,
        ConsolePause,
        ConsoleSpeed,
        ConsoleIncline,
        DropLink,
        SetFault,
        ClearFault,
    )
)


def _check_grid(value: float, profile: MachineProfile, what: str) -> None:
    r = profile.speed_range() if what == "speed" else profile.incline_range()
    if r.units_of(value) is None:
        raise ValueError(f"{what} {value} is not on profile {profile.name!r}'s range ({r})")


class Scenario(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: tuple[Step, ...] = ()

    async def run(self, sim: TreadmillSimulator) -> None:
        """Apply each step at its time, counted from now, on absolute deadlines (no drift)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for step in self.steps:
            await asyncio.sleep(max(0.0, start + step.at - loop.time()))
            await step.apply(sim)


def parse_scenario(
    data: Any, origin: str = "scenario", profile: MachineProfile | None = None
) -> Scenario:
    """Validate a decoded YAML document (a list of steps), optionally against a profile."""
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ScenarioError(f"{origin}: expected a list of steps, got {type(data).__name__}")
    steps: list[Step] = []
    for number, raw in enumerate(data, start=1):
        where = f"{origin}: step {number}"
        if isinstance(raw, dict) and "do" in raw:
            where += f" (do: {excerpt(raw['do'], quote=False)})"
        if isinstance(raw, dict) and raw.get("do") not in ACTIONS:
            raise ScenarioError(
                f"{where}: 'do' must be one of {', '.join(ACTIONS)}, got {excerpt(raw.get('do'))}"
            )
        try:
            step = _STEP.validate_python(raw)
            if profile is not None:
                step.check(profile)
        except ValidationError as error:
            raise ScenarioError(f"{where}: {_explain(error)}") from None
        except ValueError as error:
            raise ScenarioError(f"{where}: {error}") from None
        if steps and step.at < steps[-1].at:
            raise ScenarioError(
                f"{where}: at {step.at} s comes before the previous step's {steps[-1].at} s; "
                "list steps in time order"
            )
        steps.append(step)
    return Scenario(steps=tuple(steps))


def load_scenario(path: str | Path, profile: MachineProfile | None = None) -> Scenario:
    data = read_yaml(path, ScenarioError, "scenario")
    return parse_scenario(data, f"scenario {path}", profile)


def _explain(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        # Drop the union tag pydantic puts first in the location ("console_speed.speed_kmh").
        where = ".".join(str(p) for p in e["loc"][1:])
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
