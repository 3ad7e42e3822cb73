"""`treadlink probe --replay FILE [--json]`: a recorded trace, decoded frame by frame. No radio.

Every frame goes through the drivers' own decoders (treadlink.ble.trace.decode). A frame they
cannot decode is said so, and the replay goes on; a file that is not a trace, or a line that is
not a frame, is bad input (exit 2), found before anything is printed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from treadlink.ble.trace.decode import FrameDecoder, Undecodable
from treadlink.ble.trace.format import FORMAT, TraceError, TraceFile, TraceFrame, TraceHeader
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from treadlink.cli.output import say


def replay(path: Path, *, as_json: bool) -> int:
    try:
        trace = TraceFile(path)
        frames = trace.check()  # a bad line is found before a line is printed
        if not as_json:
            describe(trace, frames)
        decoder = FrameDecoder(trace.header)
        for frame in trace.frames():
            say(_json(decoder, frame) if as_json else _line(decoder, frame))
    except TraceError as e:
        for line in str(e).splitlines():
            print(f"treadlink probe: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def describe(trace: TraceFile, frames: int) -> None:
    h: TraceHeader = trace.header
    recorded = ", ".join(
        part
        for part in (
            f"{frames} frames",
            f"recorded {h.started}" if h.started else "",
            f"by treadlink {h.treadlink}" if h.treadlink else "",
        )
        if part
    )
    say(f"trace      {trace.file} ({FORMAT}): {recorded}")
    say(f"device     {h.name or '?'} ({h.address or 'address not recorded'})")
    say(f"protocol   {h.protocol or 'none chosen'}" + (f": {h.why}" if h.why else ""))
    for service in h.gatt:
        characteristics = ", ".join(
            f"{c.uuid} ({' '.join(c.properties)})" for c in service.characteristics
        )
        say(f"service    {service.uuid}: {characteristics or 'no characteristics'}")


def _line(decoder: FrameDecoder, frame: TraceFrame) -> str:
    try:
        text = decoder.decode(frame).text
    except Undecodable as e:
        text = f"cannot decode {frame.data.hex(' ') or '(no bytes)'}: {e}"
    return f"{frame.t:9.3f}  {frame.op:<8} {frame.uuid:<4}  {text}"


def _json(decoder: FrameDecoder, frame: TraceFrame) -> str:
    try:
        decoded = decoder.decode(frame)
    except Undecodable as e:
        return json.dumps({"t": frame.t, "uuid": frame.uuid, "error": str(e)})
    head = {"t": frame.t, "op": frame.op, "uuid": frame.uuid, "kind": decoded.kind}
    return json.dumps(head | decoded.fields, ensure_ascii=False)
