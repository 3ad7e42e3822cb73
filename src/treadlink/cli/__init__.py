"""The `treadlink` command: one sub-command per module, each with a `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from treadlink import __version__
from treadlink.cli.exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_READER_GONE
from treadlink.cli.output import ReaderGone, flushed, silence_stdout
from treadlink.sources import BadInput

# Sub-command modules, in the order `treadlink --help` lists them.
COMMANDS = (
    "run",
    "serve",
    "next",
    "history",
    "pain",
    "export",
    "plan",
    "validate",
    "probe",
    "scan",
)


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
    try:
        args = build_parser().parse_args(argv)  # imports every command: Ctrl-C may land here
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # bumble logs its own tracebacks for a lost transport or a teardown race; what the
        # runner needs of those, treadlink says in a sentence (-vv shows them).
        logging.getLogger("bumble").setLevel(logging.CRITICAL)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (BrokenPipeError, ReaderGone):  # `treadlink history | head`: it read enough
        silence_stdout()
        return EXIT_READER_GONE
    except BadInput as e:  # a file a command did not check itself (e.g. --sim --profile)
        for line in str(e).splitlines():
            print(f"treadlink {args.command}: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    flushed()  # what is still buffered; a reader gone by now changes no command's status
    return code


if __name__ == "__main__":
    sys.exit(main())
