"""`treadlink` with its imports done before it learns where the simulator is, for the black-box
rig (tests/support/blackbox.py).

    python treadlink_when_ready.py FIFO run STAGE --events EV  ->  treadlink run ... --sim SPEC

A black-box scenario's clock starts with the simulator, and its faults come a few seconds later,
once treadlink has the belt moving. Python's imports are most of treadlink's start, and on a
loaded machine (the suite on several workers) they alone can take those seconds. So this opens
FIFO once everything `treadlink run` needs is imported (the rig starts the simulator only then),
reads the simulator's transport spec from it, and runs treadlink's own `main()` with `--sim SPEC`:
the same program a runner starts, its imports done earlier.
"""

import sys

import treadlink.ble.bumble.radio
import treadlink.cli

treadlink.cli.build_parser()  # imports every command, `run` and its screen included


def spec_from(fifo: str) -> str:
    with open(fifo, encoding="utf-8") as ready:  # blocks until the rig has the simulator up
        return ready.read().strip()


if __name__ == "__main__":
    fifo, *argv = sys.argv[1:]
    sys.exit(treadlink.cli.main([*argv, "--sim", spec_from(fifo)]))
