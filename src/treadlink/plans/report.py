"""A compiled timeline or programme as a plain-text table, for `treadlink plan`."""

from __future__ import annotations

from collections.abc import Sequence

from treadlink.plans.durations import format_distance, format_duration
from treadlink.plans.timeline import Programme, Step, Timeline, Totals


def _end(step: Step) -> str:
    if step.duration_s is not None:
        return format_duration(step.duration_s)
    assert step.distance_m is not None
    return format_distance(step.distance_m)


def _start(step: Step, estimate: float) -> str:
    # After a distance-ended step the start is only an estimate (at the set speeds): say so, to
    # the second (a millisecond would claim a precision the estimate does not have).
    if step.start_s is None:
        return "~" + format_duration(round(estimate))
    return format_duration(step.start_s)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)]


def totals_lines(totals: Totals) -> list[str]:
    """Times of the time-ended steps, then the distance of the distance-ended ones (if any)."""
    lines = []
    if totals.total_time_s or not totals.distance_steps:
        lines = [
            f"session {format_duration(totals.total_time_s)}",
            f"running {format_duration(totals.run_time_s)}",
            f"longest run {format_duration(totals.longest_run_s)}",
        ]
    if totals.distance_steps:
        also = "; not in the times above" if lines else ""
        lines.append(
            f"distance {format_distance(totals.distance_m)} in {totals.distance_steps} step(s) "
            f"(running {format_distance(totals.run_distance_m)}{also})"
        )
    return lines


def total(totals: Totals) -> str:
    """`30:00`, `12:00 + 2.4km` or `2.4km`: a one-word size of a session or programme."""
    parts = []
    if totals.total_time_s or not totals.distance_steps:
        parts.append(format_duration(totals.total_time_s))
    if totals.distance_steps:
        parts.append(format_distance(totals.distance_m))
    return " + ".join(parts)


def timeline_report(timeline: Timeline) -> str:
    header = ("#", "name", "kind", "km/h", "incline %", "for", "starts", "repeat", "cue")
    rows = []
    estimate = 0.0
    for s in timeline.steps:
        repeat = " ".join(f"{r.iteration}/{r.count}" for r in s.repeats)
        rows.append(
            (
                str(s.index + 1),
                s.name,
                s.kind + ("*" if s.running and s.kind == "custom" else ""),
                f"{s.speed_kmh:.2f}".rstrip("0").rstrip("."),
                f"{s.incline_pct:g}",
                _end(s),
                _start(s, estimate),
                repeat,
                s.cue or "",
            )
        )
        estimate += s.estimated_duration_s
    title = f"{timeline.name} ({timeline.source})"
    lines = [title]
    if timeline.description:
        lines.append(timeline.description)
    lines += ["", *_table(header, rows, {0, 3, 4, 5, 6}), ""]
    lines.append("; ".join(totals_lines(timeline.totals)))
    if timeline.totals.distance_steps:
        lines.append(
            f"about {format_duration(round(timeline.estimated_total_s))} in all at these speeds"
        )
    if any(s.kind == "custom" and s.running for s in timeline.steps):
        lines.append("* counted as running (at or above halfway from walk to run speed)")
    return "\n".join(lines)


def programme_report(programme: Programme) -> str:
    header = ("#", "stage", "steps", "session", "running", "longest run", "file")
    rows = [
        (
            str(i),
            t.name,
            str(len(t.steps)),
            format_duration(t.totals.total_time_s),
            format_duration(t.totals.run_time_s),
            format_duration(t.totals.longest_run_s),
            t.source,
        )
        for i, t in enumerate(programme.stages, 1)
    ]
    lines = [f"{programme.name} ({programme.source})"]
    if programme.description:
        lines.append(programme.description)
    lines += ["", *_table(header, rows, {0, 2, 3, 4, 5}), ""]
    lines.append(f"{len(programme.stages)} stages; " + "; ".join(totals_lines(programme.totals)))
    return "\n".join(lines)
