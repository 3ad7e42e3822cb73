"""Workout plans: stage, plan and Zwift files -> checked Timelines. Knows nothing of Bluetooth."""

from treadlink.plans.compile import compile_stage
from treadlink.plans.durations import (
    format_distance,
    format_duration,
    parse_distance,
    parse_duration,
)
from treadlink.plans.errors import PlanError, Problem
from treadlink.plans.limits import NOBLEPRO_ELITE, TreadmillLimits
from treadlink.plans.loader import load_plan, load_stage, load_workout
from treadlink.plans.model import PlanFile, Repeat, Segment, Stage
from treadlink.plans.timeline import Cue, Programme, RepeatInfo, Step, Timeline, Totals
from treadlink.plans.zwo import load_zwo

__all__ = [
    "NOBLEPRO_ELITE",
    "Cue",
    "PlanError",
    "PlanFile",
    "Problem",
    "Programme",
    "Repeat",
    "RepeatInfo",
    "Segment",
    "Stage",
    "Step",
    "Timeline",
    "Totals",
    "TreadmillLimits",
    "compile_stage",
    "format_distance",
    "format_duration",
    "load_plan",
    "load_stage",
    "load_workout",
    "load_zwo",
    "parse_distance",
    "parse_duration",
]
