"""The composition root: how the commands that drive a treadmill build what they need."""
