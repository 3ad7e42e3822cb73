"""A chart of a session: target against actual speed and incline over time (matplotlib), with its
stops and pauses marked (treadlink.session.account) and the plan's end. A simulator session says
so in the title."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from treadlink.plans.plot import _pyplot  # the one lazy, headless matplotlib import
from treadlink.records.export.activity import SIMULATED
from treadlink.records.model import PauseKind, SessionRecord

# How each hold is drawn: the runner's stop and a fault stand out from a pause.
HOLD_LOOK: dict[PauseKind, tuple[str, str]] = {
    "pause": ("tab:gray", "paused"),
    "stop": ("tab:red", "stopped"),
    "fault": ("darkred", "fault"),
    "console": ("goldenrod", "console"),
}


def _targets(record: SessionRecord) -> tuple[list[float], list[float], list[float]]:
    """Step-shaped target series (minutes, speed, incline) over each segment's span."""
    xs: list[float] = []
    speeds: list[float] = []
    inclines: list[float] = []
    for lap in record.laps:
        xs += [lap.start_s / 60, lap.end_s / 60]
        speeds += [lap.target_speed_kmh] * 2
        inclines += [lap.target_incline_pct] * 2
    return xs, speeds, inclines


def title(record: SessionRecord) -> str:
    when = record.start.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    text = f"{record.start.stage_name} — session {record.id}, {when} ({record.outcome})"
    return f"{SIMULATED} — {text}" if record.start.simulated else text


def write_png(record: SessionRecord, out: Path) -> None:
    plt = _pyplot()
    fig, (speed_ax, incline_ax) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True)
    xs, target_speeds, target_inclines = _targets(record)
    minutes = [s.t_s / 60 for s in record.samples]
    # The target is drawn over the belt, dashed, so both show where they agree.
    speed_ax.plot(minutes, [s.speed_kmh for s in record.samples], color="tab:blue", label="belt")
    speed_ax.plot(xs, target_speeds, color="black", linestyle="--", linewidth=1, label="target")
    speed_ax.set_ylabel("speed km/h")
    speed_ax.legend(loc="upper right", fontsize=8)
    incline_ax.plot(
        minutes, [s.incline_pct for s in record.samples], color="tab:orange", label="treadmill"
    )
    incline_ax.plot(xs, target_inclines, color="black", linestyle="--", linewidth=1, label="target")
    incline_ax.set_ylim(bottom=0, top=max([2.0, *target_inclines]) * 1.25)
    incline_ax.set_ylabel("incline %")
    incline_ax.set_xlabel("minutes")
    incline_ax.legend(loc="upper right", fontsize=8)
    for lap in record.laps:
        if lap.kind == "run":
            for ax in (speed_ax, incline_ax):
                ax.axvspan(lap.start_s / 60, lap.end_s / 60, color="tab:green", alpha=0.08)
    _mark_holds(record, speed_ax, incline_ax)
    fig.suptitle(title(record), color="darkred" if record.start.simulated else "black")
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=100)
    finally:
        plt.close(fig)


def _mark_holds(record: SessionRecord, speed_ax: Any, incline_ax: Any) -> None:
    """Each stop and pause as a shaded span with its name; the plan's end as a line."""
    bottom = speed_ax.get_ylim()[0]  # the names go low: the legends are at the top
    for hold in record.pauses:
        colour, name = HOLD_LOOK[hold.kind]
        for ax in (speed_ax, incline_ax):
            ax.axvspan(hold.start_s / 60, hold.end_s / 60, color=colour, alpha=0.25, linewidth=0)
        speed_ax.text(
            hold.start_s / 60, bottom, f" {name}", color=colour, fontsize=8, va="bottom", ha="left"
        )
    if record.laps:
        end = record.laps[-1].end_s / 60
        for ax in (speed_ax, incline_ax):
            ax.axvline(end, color="black", linewidth=1)
        speed_ax.text(end, bottom, f"end: {record.outcome} ", fontsize=8, va="bottom", ha="right")
