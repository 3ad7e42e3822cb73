"""Which protocol servers a profile's treadmill runs, and which faults mean something on it."""

from __future__ import annotations

from treadlink_sim.faults import Fault
from treadlink_sim.fitshow_server import FitShowServer
from treadlink_sim.ftms_server import FtmsServer
from treadlink_sim.profile import MachineProfile
from treadlink_sim.rsc_server import RscServer
from treadlink_sim.servers import ProtocolServer


def server_classes(profile: MachineProfile) -> list[type[ProtocolServer]]:
    """In GATT order: the controlling protocols first, then the sensors."""
    classes: list[type[ProtocolServer]] = []
    if profile.ftms:
        classes.append(FtmsServer)
    if profile.fitshow:
        classes.append(FitShowServer)
    if profile.rsc:
        classes.append(RscServer)
    return classes


def fault_problem(profile: MachineProfile, fault: Fault) -> str | None:
    """Why `fault` cannot be set on this profile's treadmill, or None if it can.

    A fault is refused only when none of the protocols the treadmill speaks has a counterpart.
    """
    controlling = [c for c in server_classes(profile) if c.controls]
    reasons = [(c.protocol, c.fault_unsupported(fault, profile)) for c in controlling]
    if not all(reason for _, reason in reasons):
        return None
    spoken = " and ".join(protocol for protocol, _ in reasons)
    why = "; ".join(f"{reason}" for _, reason in reasons)
    return f"fault {fault} has no counterpart on profile {profile.name!r} ({spoken}): {why}"
