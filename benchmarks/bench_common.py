"""What the benchmark scripts share: commands, a fresh git + DVC repository, bytecode.

Imported by the scripts beside it (``python benchmarks/NAME.py`` puts this folder on
``sys.path``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
GITIGNORE = "/report.md\n/report.html\n/mlci-results.json\n"


def sh(cwd: Path, *cmd: str) -> str:
    """Run ``cmd`` in ``cwd``; its output, or stop the benchmark with what it printed."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def new_repo(root: Path) -> Path:
    """``root`` as a new git repository on ``main`` with DVC initialised, mlci's outputs
    ignored."""
    root.mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, "git", "config", "user.email", "bench@example.com")
    sh(root, "git", "config", "user.name", "bench")
    sh(root, str(BIN / "dvc"), "init", "-q")
    (root / ".gitignore").write_text(GITIGNORE)
    return root


def compile_mlci(*others: Path) -> None:
    """Byte-compile mlci (and ``others``, earlier copies timed beside it). An installed
    mlci has its bytecode (pip compiles at install, as it did DVC's); a checkout run
    with PYTHONDONTWRITEBYTECODE=1 would compile every module on every run (~0.1 s of
    CPU), which no user pays."""
    import mlci

    for package in (Path(mlci.__file__).parent, *others):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
