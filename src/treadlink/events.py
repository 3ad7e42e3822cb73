"""`Event`: the base of every event treadlink reports, the guard's and the session's alike.

One stream reaches the screen, the recorder and the MQTT bridge; each event is a frozen
dataclass with a stable JSON form (`as_json`), which is also what `--events` writes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    kind: ClassVar[str]
    at: float  # seconds: the loop clock from the guard, the session clock once the session has it

    def as_json(self) -> dict[str, Any]:
        body = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"event": self.kind, **body}


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, float):
        return round(value, 4)
    return value
