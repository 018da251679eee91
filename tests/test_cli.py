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


def test_version_is_the_installed_distributions(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out == f"dscoder {version('dscoder')}\n"


def test_python_m_dscoder_train_errors_are_one_line(capsys):
    """The module accelerate launches (``accelerate launch -q -m dscoder.train``) answers like ``dscoder train``."""
    from dscoder.train import main as train_main

    assert train_main(["recipes/none.yaml"]) == 1
    err = capsys.readouterr().err
    assert err == "dscoder.train: error: recipes/none.yaml: <root>: config file not found (rerun with --debug for a traceback)\n"


@pytest.mark.slow  # accelerate's launcher and a child process importing torch: ~10 s
def test_accelerate_launch_errors_are_one_line(tmp_path):
    from pathlib import Path

    recipe = Path(__file__).resolve().parents[1] / "recipes" / "tiny" / "pretrain.yaml"
    accelerate = Path(sys.executable).with_name("accelerate")
    proc = subprocess.run([str(accelerate), "launch", "-q", "--num_processes", "1", "--num_machines", "1",
                           "--mixed_precision", "no", "--dynamo_backend", "no", "--cpu", "-m", "dscoder.train",
                           str(recipe), "--set", "optimizer.lr=-1"],
                          capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert errors == [(f"dscoder.train: error: {recipe}: optimizer.lr: must be > 0, got -1.0 (rerun with --debug for "
                      "a traceback)")], proc.stderr  # fmt: skip


def test_tables_wrap_instead_of_cutting_cells_when_piped(capsys):
    """A piped command gets an 80-column console: a cell too long for its column continues on the next line."""
    import io

    from rich.console import Console
    from rich.table import Table

    from dscoder.terminal import wrap_cells

    table = Table()
    table.add_column("name", no_wrap=True)
    table.add_column("where")
    table.add_row("humaneval-python-multilingual", "/a/very/long/path/" + "segment/" * 12)
    out = io.StringIO()
    Console(file=out, width=40).print(wrap_cells(table))
    text = out.getvalue()
    assert "…" not in text
    cells = "".join(line.split("│")[1].strip() for line in text.splitlines() if line.count("│") == 3)
    assert cells.startswith("humaneval-python-multilingual")
    assert main(["benchmarks", "list", "--no-count"]) == 0
    assert "…" not in capsys.readouterr().out  # captured: not a terminal, as in a pipe


def test_benchmarks_list_json(capsys):
    import json

    from dscoder.benchmarks import BENCHMARKS

    assert main(["benchmarks", "list", "--no-count", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == list(BENCHMARKS)
    assert set(rows[0]) == {"name", "records", "location", "licence", "source", "hub_id", "note"}
