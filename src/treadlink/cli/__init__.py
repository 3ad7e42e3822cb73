"""The `treadlink` command: one sub-command per module, each with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from treadlink import __version__

# Sub-command modules, in the order `treadlink --help` lists them.
COMMANDS = ("run", "serve", "plan", "validate", "probe", "scan")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2  # argparse's own code for bad usage; also used for invalid plan files


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treadlink",
        description="Drive an FTMS smart treadmill through a walk–run plan, safely.",
    )
    parser.add_argument("--version", action="version", version=f"treadlink {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"treadlink.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # bumble's virtual controllers warn about harmless teardown races the runner can't act on.
        logging.getLogger("bumble").setLevel(logging.ERROR)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
