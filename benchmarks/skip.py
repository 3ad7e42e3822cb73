"""A step that cannot measure on this tree says why, and is reported as skipped, not failed."""


class Skipped(Exception):
    """Raised by a step with the reason, e.g. "no FitShow driver"."""
