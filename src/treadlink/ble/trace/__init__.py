"""Traces of a real treadmill: what passed between the link and the driver, as JSON lines.

* `format`: the file format `treadlink-trace/1` (docs/trace.md), read and checked line by line;
* `recorder`: `TraceRecorder`, the tap on the GATT port the link offers the driver, written to
  disk by a thread of its own;
* `decode`: each recorded frame through the drivers' own decoders, for `treadlink probe --replay`.
"""
