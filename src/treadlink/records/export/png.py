"""A chart of a session: target against actual speed and incline over time (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from treadlink.plans.plot import _pyplot  # the one lazy, headless matplotlib import
from treadlink.records.model import SessionRecord


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
    when = record.start.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    fig.suptitle(f"{record.start.stage_name} — session {record.id}, {when} ({record.outcome})")
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=100)
    finally:
        plt.close(fig)
