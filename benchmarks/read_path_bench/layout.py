"""Where things live: the repository, PostGraphile's install folder and version, the results folder, Node.

Shared by every part that starts a process or writes a file, so the paths are spelled once.
"""

from __future__ import annotations

from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent.parent
ROOT = BENCHMARKS_DIR.parent
POSTGRAPHILE_DIR = BENCHMARKS_DIR / "postgraphile"
POSTGRAPHILE_VERSION = "4.14.1"
RESULTS_DIR = BENCHMARKS_DIR / "results"
NODE = "/usr/bin/node"
