"""Byte-count options accept the form their help shows (``--max-bytes 16e6``, issue 15 point 8)."""

from __future__ import annotations

import argparse

import pytest

from dscoder_cli import build_parser
from dscoder_cli.data import byte_count


def test_byte_counts_in_scientific_and_plain_form():
    args = build_parser().parse_args(["data", "demo-corpus", "out", "--max-bytes", "16e6", "--max-repo-bytes", "1e6",
                                      "--max-file-bytes", "500_000"])  # fmt: skip
    assert (args.max_bytes, args.max_repo_bytes, args.max_file_bytes) == (16_000_000, 1_000_000, 500_000)
    assert byte_count("16000000") == 16_000_000 and isinstance(byte_count("4e6"), int)
    for bad in ("1.5", "-3", "0", "16MB"):
        with pytest.raises(argparse.ArgumentTypeError):
            byte_count(bad)
