"""Which protocol a treadmill speaks, judged from what it shows: its GATT table and its name.

* FTMS when the Fitness Machine Service (0x1826) is in the GATT table (or advertised).
* FitShow on one of its services (0xFFF0, 0xFFE0, NoblePro's 0xAE00) when the advertised name is
  a FitShow console's (`FS-…`, `NOBLEPRO CONNECT…`) and there is no FTMS. 0xFFF0 alone proves
  nothing: unrelated protocols use it too, so it is never guessed from.
* `--protocol ftms|fitshow` overrides the choice (the service must still be there).

Each choice carries its reason, which `scan` and `probe` show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from bleak.exc import BleakError

from treadlink.fitshow.protocol import NAME_PREFIXES, TRANSPORTS
from treadlink.ftms.protocol import FITNESS_MACHINE_SERVICE

Protocol = Literal["ftms", "fitshow"]
PROTOCOLS: Final[tuple[Protocol, ...]] = ("ftms", "fitshow")


class NotATreadmill(BleakError):
    """The device shows no treadmill protocol treadlink speaks (or not the one asked for)."""


@dataclass(frozen=True, slots=True)
class Choice:
    protocol: Protocol
    why: str


def fitshow_name(name: str | None) -> bool:
    """An advertised name of a console known to speak FitShow."""
    return name is not None and name.upper().startswith(NAME_PREFIXES)


def choose(
    has_service: Callable[[int], bool], name: str | None, asked: Protocol | None = None
) -> Choice:
    """The protocol to drive a connected treadmill with. `has_service`: whether its GATT table
    holds a 16-bit service; `name`: what it advertised."""
    ftms = has_service(FITNESS_MACHINE_SERVICE)
    fitshow = [t for t in TRANSPORTS if has_service(t.service)]
    label = name or "the device"
    if asked == "ftms":
        if not ftms:
            raise NotATreadmill(f"{label} has no Fitness Machine Service (0x1826): not FTMS")
        return Choice("ftms", "--protocol ftms, and it has the Fitness Machine Service (0x1826)")
    if asked == "fitshow":
        if not fitshow:
            services = ", ".join(f"0x{t.service:04X}" for t in TRANSPORTS)
            raise NotATreadmill(f"{label} has none of FitShow's services ({services})")
        return Choice("fitshow", f"--protocol fitshow, on service {fitshow[0]}")
    if ftms:
        return Choice("ftms", "it has the Fitness Machine Service (0x1826)")
    if fitshow and fitshow_name(name):
        return Choice(
            "fitshow", f"its name {name!r} is a FitShow console's, on service {fitshow[0]}"
        )
    if fitshow:
        raise NotATreadmill(
            f"{label} has no Fitness Machine Service (0x1826). It has service "
            f"0x{fitshow[0].service:04X}, which FitShow consoles use but so do unrelated "
            "devices, and its name is not a FitShow console's: if it is a FitShow treadmill, "
            "use --protocol fitshow"
        )
    raise NotATreadmill(
        f"{label} speaks no treadmill protocol treadlink knows: no Fitness Machine Service "
        "(0x1826) and none of FitShow's services"
    )
