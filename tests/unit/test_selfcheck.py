"""The parse of the bundled samples a worker makes when it starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.parsing import selfcheck


def test_every_bundled_sample_reads_as_its_format_with_the_expected_figures() -> None:
    assert sorted(path.name for path in selfcheck.SAMPLE_DIR.iterdir()) == sorted(selfcheck.SAMPLES)
    assert selfcheck.check_parsers() == []


def _copy_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    samples = tmp_path / "samples"
    shutil.copytree(selfcheck.SAMPLE_DIR, samples)
    monkeypatch.setattr(selfcheck, "SAMPLE_DIR", samples)
    return samples


def test_a_sample_that_does_not_parse_is_named_with_its_reason(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    samples = _copy_samples(tmp_path, monkeypatch)
    (samples / "sample.xlsx").write_bytes((samples / "sample.xlsx").read_bytes()[:200])
    (samples / "sample.csv").unlink()
    problems = selfcheck.check_parsers()
    assert len(problems) == 2
    assert problems[0].startswith("sample.csv: ") and "No such file" in problems[0]
    assert problems[1].startswith("sample.xlsx: unreadable xlsx")
    assert all("\n" not in problem for problem in problems)


def test_a_sample_read_with_other_figures_names_what_differs(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    samples = _copy_samples(tmp_path, monkeypatch)
    text = (samples / "sample.tabs.txt").read_text(encoding="utf-8")
    (samples / "sample.tabs.txt").write_text(text.replace("2021", "2022"), encoding="utf-8")
    assert selfcheck.check_parsers() == ["sample.tabs.txt: read year 2022 (expected 2021)"]


def test_a_time_limit_hidden_in_a_ctypes_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """A soft time limit whose signal lands while ctypes converts an argument comes out as an
    ArgumentError naming it: that is the caller's time limit, never a verdict on the file."""
    import ctypes

    from shared.parsing import detect

    class TimeLimit(Exception):
        pass

    def spinning(data: bytes, *, name: str | None = None) -> None:
        raise ctypes.ArgumentError("argument 2: TimeLimit: ")

    monkeypatch.setattr(detect, "parser_for", lambda fmt: spinning)
    with pytest.raises(TimeLimit):
        detect.parse_report(b"Eerste kwartaal 2021\ttext", passthrough=(TimeLimit,))
    with pytest.raises(detect.NotAReport, match="unreadable text: ArgumentError"):
        detect.parse_report(b"Eerste kwartaal 2021\ttext")
