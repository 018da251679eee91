"""The demo runner: done markers, reuse, invalidation of later stages, failures that name the stage."""

from __future__ import annotations

import json

import pytest

from dscoder import demo
from dscoder.demo import DemoSettings, DemoStageError, Stage, StageResult, run_demo
from dscoder.report import Section, Table


class Console:
    def __init__(self):
        self.lines = []

    def print(self, *args, **kwargs):
        self.lines.append(" ".join(map(str, args)))

    def rule(self, *args, **kwargs):
        self.lines.append(" ".join(map(str, args)))


@pytest.fixture()
def fake_stages(monkeypatch):
    calls = []
    knobs = {"a": 1, "b": 1, "fail": False}

    def make(name):
        def run(settings):
            calls.append(name)
            if name == "b" and knobs["fail"]:
                raise RuntimeError("boom")
            return StageResult({"n": knobs[name]}, [Section(f"section {name}", tables=[Table(["k"], [[knobs[name]]])])])

        return Stage(name, f"stage {name}", run, lambda s, name=name: {"knob": knobs[name]})

    monkeypatch.setattr(demo, "STAGES", [make("a"), make("b")])
    return calls, knobs


def test_reuses_finished_stages_and_redoes_changed_ones_with_everything_after(tmp_path, fake_stages):
    calls, knobs = fake_stages
    settings = DemoSettings.create(tmp_path / "run")
    rows = run_demo(settings, console=Console())
    assert calls == ["a", "b"] and [r["status"] for r in rows] == ["ran", "ran"]
    rows = run_demo(settings, console=Console())
    assert calls == ["a", "b"] and [r["status"] for r in rows] == ["reused", "reused"]
    assert rows[1]["summary"] == {"n": 1}
    knobs["a"] = 2  # a changed: a and everything after it rerun
    run_demo(settings, console=Console())
    assert calls == ["a", "b", "a", "b"]
    knobs["b"] = 5  # only b changed
    run_demo(settings, console=Console())
    assert calls == ["a", "b", "a", "b", "b"]
    marker = json.loads((tmp_path / "run" / "stages" / "b.done").read_text())
    assert marker["summary"] == {"n": 5}
    html = (tmp_path / "run" / "report.html").read_text()
    assert "section a" in html and "section b" in html


def test_only_and_force(tmp_path, fake_stages):
    calls, _ = fake_stages
    settings = DemoSettings.create(tmp_path / "run")
    with pytest.raises(DemoStageError, match="stage 'a' has not run yet"):
        run_demo(settings, only=["b"], console=Console())
    run_demo(settings, console=Console())
    run_demo(settings, only=["b"], force=True, console=Console())
    assert calls == ["a", "b", "b"]
    with pytest.raises(DemoStageError, match="unknown stage 'zzz'; stages are: a, b"):
        run_demo(settings, only=["zzz"], console=Console())


def test_failure_names_the_stage_and_the_rerun_command(tmp_path, fake_stages):
    _, knobs = fake_stages
    knobs["fail"] = True
    settings = DemoSettings.create(tmp_path / "run", quick=True)
    with pytest.raises(DemoStageError) as err:
        run_demo(settings, console=Console())
    message = str(err.value)
    assert "stage 'b' failed: RuntimeError: boom" in message
    assert f"dscoder demo --output {tmp_path / 'run'} --quick --only b" in message
    with pytest.raises(DemoStageError, match=r"--quick --seed 3 --workers 1 --only b\)"):
        run_demo(DemoSettings.create(tmp_path / "run", quick=True, seed=3, workers=1), console=Console())
    assert "RuntimeError: boom" in (tmp_path / "run" / "stages" / "b.error.log").read_text()
    assert (tmp_path / "run" / "stages" / "a.done").exists()
    assert not (tmp_path / "run" / "stages" / "b.done").exists()
