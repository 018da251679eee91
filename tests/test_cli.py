"""The `dscoder` command line: subcommands listed, no heavy imports for --help, errors as one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dscoder_cli import SUBCOMMANDS, build_parser, main


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in ("data", "tokenizer", "train", "eval", "demo", "convert"):
        assert name in SUBCOMMANDS
        assert f"    {name}" in out


def test_building_the_parser_imports_no_heavy_library():
    code = (
        "import sys, dscoder_cli; dscoder_cli.build_parser();"
        "heavy = [m for m in ('torch', 'transformers', 'datatrove', 'datasets', 'trl', 'dscoder') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_each_subcommand_has_its_own_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: dscoder " + command in capsys.readouterr().out


def test_errors_are_one_line_without_traceback(tmp_path, capsys):
    code = main(["data", "demo-corpus", str(tmp_path / "o"), "--shards", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "dscoder data: error: ValueError: shards must be >= 1" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="shards must be >= 1"):
        main(["--debug", "data", "demo-corpus", str(tmp_path / "o"), "--shards", "0"])


def test_parser_is_rebuilt_cleanly():
    assert build_parser().prog == "dscoder"
