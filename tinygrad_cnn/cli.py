"""The `tinygrad-cnn` command. Each subcommand lives in its own module under ``commands/``,
exposing ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__

# subcommand modules, in the order --help lists them
COMMANDS: tuple[str, ...] = ("train", "eval", "export", "graph", "gradcheck", "bench")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line and exit status 2, no traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with one subparser per module in COMMANDS.

    >>> args = build_parser().parse_args(['train', '--epochs', '2'])
    >>> args.command, args.epochs, args.data
    ('train', 2, 'digits')
    """
    parser = _Parser(
        prog="tinygrad-cnn",
        description="tinygrad_cnn: a readable autograd framework on numpy that trains CNNs.",
    )
    parser.add_argument("--version", action="version", version=f"tinygrad-cnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        mod = importlib.import_module(f".commands.{name}", __package__)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tinygrad-cnn`` command with ``argv`` (default: ``sys.argv[1:]``); returns the
    exit status (2 with a one-line message for a usage or file error).

    >>> main(['gradcheck', '--op', 'no-such-op'])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:  # the reader went away (`... | head`): nothing more to say
        # NOTE: point stdout at devnull, or Python's exit-time flush raises the error again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, ValueError, KeyError) as e:  # OSError: missing paths, directories, ...
        print(f"tinygrad-cnn {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
