"""Reaching a treadmill over Bluetooth: the OS's own stack through bleak, or bumble (simulator)."""
