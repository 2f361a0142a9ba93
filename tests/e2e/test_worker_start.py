"""A worker whose parsers cannot work refuses to start, instead of quarantining every file."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import klantprofielen
from tests.conftest import ROOT


def test_worker_refuses_to_start_when_a_parser_library_is_broken(tmp_path: Path) -> None:
    broken = tmp_path / "site" / "pypdfium2"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        'raise ImportError("libpdfium.so: cannot open shared object file: No such file or directory")\n')
    result = klantprofielen("worker", "--data-dir", str(tmp_path / "data"), "--broker-url",
                            "redis://127.0.0.1:1/0", "--log-format", "json",
                            env={"PYTHONPATH": f"{tmp_path / 'site'}:{ROOT}"})
    assert result.returncode == 1, result.stdout + result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("klantprofielen:")]
    assert message == [
        "klantprofielen: worker cannot start: WorkerStartError: parser self-check failed: pdf parser: "
        "ImportError: libpdfium.so: cannot open shared object file: No such file or directory; "
        "sample.pdf: unreadable pdf: ImportError"]
    assert "Traceback" not in result.stderr
