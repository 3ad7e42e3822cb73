"""FitShow's private treadmill protocol as data: names and numbers, frames, units, messages.

The layer beside treadlink.ftms: it knows bytes, never Bluetooth links or plans. The protocol as
treadlink speaks it, each fact with its source: docs/fitshow.md.
"""
