"""Reaching a treadmill over Bluetooth: the OS's native bleak backend, or bumble for the simulator."""
