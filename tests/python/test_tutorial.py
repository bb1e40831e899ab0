"""docs/tutorial.md and docs/mesa.md run: their ```python blocks, in order, in one namespace each
(from the root of the tree, writing into a temporary folder)."""
import os
import re

from conftest import ROOT, TYNDAU


def test_tutorial_runs(tmp_path, monkeypatch, capsys):
    text = open(os.path.join(ROOT, "docs", "tutorial.md"), encoding="utf-8").read()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 10
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("TUTORIAL_OUT", str(tmp_path))
    monkeypatch.setenv("TYNDAU", TYNDAU)
    ns = {"__name__": "tutorial"}
    for k, code in enumerate(blocks):
        try:
            exec(compile(code, "docs/tutorial.md block %d" % (k + 1), "exec"), ns)
        except Exception as e:
            raise AssertionError("docs/tutorial.md, block %d failed: %r\n%s" % (k + 1, e, code)) from e
    out = capsys.readouterr().out
    assert "refused: " in out and "handler_shar" in out
    assert os.path.getsize(tmp_path / "resolution_by_income.png") > 10000


def test_mesa_page_runs(monkeypatch):
    text = open(os.path.join(ROOT, "docs", "mesa.md"), encoding="utf-8").read()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert blocks
    monkeypatch.chdir(ROOT)
    ns = {}
    for k, code in enumerate(blocks):
        exec(compile(code, "docs/mesa.md block %d" % (k + 1), "exec"), ns)
    assert ns["m"].done and len(ns["rows"]) == 25  # 746 days in steps of 30
