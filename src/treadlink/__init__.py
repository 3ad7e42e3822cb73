"""treadlink: drive an FTMS smart treadmill through a walk–run plan, safely."""

__version__ = "0.1.0"
