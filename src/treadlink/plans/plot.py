"""A speed/incline profile picture of a timeline (needs the optional `plot` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from treadlink.plans.timeline import Programme, Timeline


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed."""


def _pyplot() -> Any:
    # Imported lazily: matplotlib is optional and slow to import; Agg needs no display.
    try:
        import matplotlib
    except ImportError as e:
        raise PlotUnavailableError("drawing needs matplotlib: pip install 'treadlink[plot]'") from e
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _profile(timeline: Timeline) -> tuple[list[float], list[float], list[float]]:
    """Step-shaped series (minutes, speed, incline); distances drawn at their estimated time."""
    xs: list[float] = []
    speeds: list[float] = []
    inclines: list[float] = []
    t = 0.0
    for s in timeline.steps:
        end = t + s.estimated_duration_s / 60
        xs += [t, end]
        speeds += [s.speed_kmh, s.speed_kmh]
        inclines += [s.incline_pct, s.incline_pct]
        t = end
    return xs, speeds, inclines


def draw(workout: Timeline | Programme, out: Path) -> None:
    """Write a PNG: one panel per stage (a single stage gives one panel)."""
    plt = _pyplot()
    timelines = workout.stages if isinstance(workout, Programme) else (workout,)
    fig, axes = plt.subplots(
        len(timelines), 1, figsize=(10, 2.2 * len(timelines) + 0.8), squeeze=False, sharex=True
    )
    for ax, timeline in zip(axes[:, 0], timelines, strict=True):
        xs, speeds, inclines = _profile(timeline)
        ax.plot(xs, speeds, color="tab:blue", label="speed (km/h)")
        ax.fill_between(xs, speeds, alpha=0.15, color="tab:blue")
        ax.set_ylabel("speed km/h", color="tab:blue")
        ax.set_title(timeline.name, loc="left", fontsize=9)
        twin = ax.twinx()
        twin.plot(xs, inclines, color="tab:orange", label="incline (%)")
        twin.set_ylabel("incline %", color="tab:orange")
        # Headroom so a flat 1 % line does not sit on top of the speed line.
        twin.set_ylim(0, max(2.0, max(inclines) * 2))
        ax.set_ylim(0, max(speeds) * 1.15)
    axes[-1, 0].set_xlabel("minutes (distance steps at their estimated time)")
    fig.tight_layout()
    fig.savefig(out, dpi=100, format="png")  # never guessed from the name
    plt.close(fig)
