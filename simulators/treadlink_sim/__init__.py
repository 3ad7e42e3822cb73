"""A simulated smart treadmill speaking FTMS and/or FitShow: a bumble Bluetooth LE peripheral
(see docs/simulator.md)."""

from treadlink_sim.faults import Fault
from treadlink_sim.profile import MachineProfile, ProfileError, load_profile
from treadlink_sim.quirks import Quirk
from treadlink_sim.rig import Rig, sim_rig
from treadlink_sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from treadlink_sim.treadmill import ControlPointRecord, TreadmillSimulator

__all__ = [
    "ControlPointRecord",
    "Fault",
    "MachineProfile",
    "ProfileError",
    "Quirk",
    "Rig",
    "Scenario",
    "ScenarioError",
    "TreadmillSimulator",
    "load_profile",
    "load_scenario",
    "parse_scenario",
    "sim_rig",
]
