"""Running the real `klantprofielen` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def klantprofielen(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
                   cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m services.cli ARGS` with a clean KLANTPROFIELEN_* environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("KLANTPROFIELEN_")}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout, cwd=cwd or ROOT)
