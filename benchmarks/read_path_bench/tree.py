"""The measured hrgate tree: the working tree or a commit exported with ``git archive``, and the environment
its processes run in (the measured tree first on the path), so another commit can be measured without touching
the checkout."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from .layout import ROOT


def hrgate_environment(args: argparse.Namespace) -> dict[str, str]:
    """No ``HRGATE_*`` from the caller; the measured tree first on the path (before the editable install)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("HRGATE_")}
    environment["PYTHONPATH"] = str(args.hrgate_tree)
    return environment


def export_tree(reference: str, directory: Path) -> str:
    """``git archive`` of a commit into ``directory``: the checkout (and others' work in it) stays untouched."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{reference}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    return f"commit {commit[:12]}"


def describe_tree() -> str:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()  # fmt: skip
    return f"working tree at {commit.stdout.strip()[:12]}" + (" with uncommitted changes" if dirty else "")
