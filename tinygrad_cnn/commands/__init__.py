"""Subcommands of the `tinygrad-cnn` command line (see cli.py)."""
