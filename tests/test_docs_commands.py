"""Docs as tests: every command shown in README.md and docs/ runs as written.

- Shell blocks (```sh / ```console / untagged) : each line starting with ``ssblab `` runs in a
  shell in an empty folder, with ``ssblab`` on PATH, and must exit 0 (marked slow: seconds to
  minutes each; CI runs them).
- Python blocks: run in a fresh namespace, except a block whose previous line is an HTML
  comment ``<!-- sketch: why -->`` (an outline with placeholders such as ``spectrum``).
- Inline mentions such as `ssblab md run|resume` must name commands that exist.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest

import ssblab
from ssblab.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_TAGS = {"", "sh", "shell", "bash", "console"}


def _blocks(path: Path):
    """(language, first line number, lines, sketch?) of each fenced block in a Markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^```(\w*)\s*$", lines[i])
        if match:
            start = i
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            sketch = start > 0 and lines[start - 1].strip().startswith("<!-- sketch")
            yield match[1], start + 1, lines[start + 1:j], sketch
            i = j + 1
        else:
            i += 1


def _commands():
    for path in DOCS:
        for lang, line_no, lines, _ in _blocks(path):
            if lang not in SHELL_TAGS:
                continue
            for k, line in enumerate(lines):
                command = line.strip().removeprefix("$ ")
                if command.startswith("ssblab "):
                    # every command but the instant `ssblab data ...` runs for seconds
                    marks = [] if command.startswith("ssblab data ") else [pytest.mark.slow]
                    yield pytest.param(command, id=f"{path.name}:{line_no + 1 + k}", marks=marks)


def _python_blocks():
    for path in DOCS:
        for lang, line_no, lines, sketch in _blocks(path):
            if lang == "python" and not sketch:  # they read real files: seconds each
                yield pytest.param("\n".join(lines), id=f"{path.name}:{line_no}",
                                   marks=[pytest.mark.slow])


@pytest.fixture(scope="module")
def shell_env(tmp_path_factory):
    """PATH with an ``ssblab`` that runs this interpreter on the ssblab under test."""
    bin_dir = tmp_path_factory.mktemp("bin")
    script = bin_dir / "ssblab"
    script.write_text(f"#!/bin/sh\nexec '{sys.executable}' -c 'import sys; from ssblab.cli "
                      f"import main; sys.argv[0] = \"ssblab\"; main()' \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    src = str(Path(ssblab.__file__).resolve().parents[1])
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg")
    return env


def test_docs_show_commands():
    assert len(list(_commands())) >= 5, "README's quick start lost its commands"


@pytest.mark.parametrize("command", list(_commands()))
def test_shell_command_runs(command, shell_env, tmp_path):
    done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=shell_env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{command}\nstdout:\n{done.stdout[-2000:]}\n" \
                                 f"stderr:\n{done.stderr[-2000:]}"
    if "--out " in command:
        out = tmp_path / re.search(r"--out\s+(\S+)", command)[1]
        assert (out / "result.json").is_file() or any(out.iterdir()), f"{command} wrote nothing"


@pytest.mark.parametrize("code", list(_python_blocks()))
def test_python_block_runs(code, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(code, "<docs>", "exec"), {"__name__": "__docs__"})
    finally:
        plt.close("all")


def _mentions():
    """(doc, group, command) for each inline `ssblab group cmd|cmd2 ...` in the docs."""
    pattern = re.compile(r"`ssblab ([a-z][a-z-]*)((?: [a-z][a-z-]*(?:\|[a-z][a-z-]*)*)?)")
    for path in DOCS:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            group, rest = match[1], match[2].strip()
            for command in (rest.split("|") if rest else [None]):
                yield path.name, group, command


def test_inline_mentions_name_existing_commands():
    ctx = click.Context(main)
    missing = []
    for doc, group_name, command in _mentions():
        group = main.get_command(ctx, group_name)
        if group is None:
            missing.append(f"{doc}: ssblab {group_name}")
        elif command and isinstance(group, click.Group) and \
                group.get_command(ctx, command) is None:
            missing.append(f"{doc}: ssblab {group_name} {command}")
    assert not missing, "docs name commands that do not exist:\n" + "\n".join(missing)


def test_sketches_compile_and_import():
    """Blocks not run still parse, and every ssblab name they import exists (other packages,
    such as dask-jobqueue for a cluster, need not be installed here)."""
    import ast
    import importlib

    for path in DOCS:
        for lang, line_no, lines, sketch in _blocks(path):
            if lang != "python" or not sketch:
                continue
            tree = ast.parse("\n".join(lines), filename=f"{path.name}:{line_no}")
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ssblab"):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        if not hasattr(module, alias.name):
                            importlib.import_module(f"{node.module}.{alias.name}")
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        importlib.import_module(alias.name)
