"""A PDF certificate is refused where no installed font can draw its Chinese labels
(Pango would draw empty boxes in their place), before anything is written."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

import labctl.report.fonts as fonts
import labctl.report.pdf as pdf
from labctl.cli import main

#: A font with Latin, Greek and symbols but no Chinese (shipped inside matplotlib).
DEJAVU = str(Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"))


@pytest.fixture
def latin_only(monkeypatch):
    """This machine's fonts as if DejaVu Sans were the only one installed."""
    monkeypatch.setattr(fonts, "_font_files", lambda: [DEJAVU])


def test_characters_no_font_has_are_named_once_in_order(latin_only):
    assert fonts.uncovered("检定证书 µ ± ° ³ é 检") == ["检", "定", "证", "书"]
    assert fonts.uncovered("Verification, U = 0.6 g (k = 2) µ ± °C") == []


def test_a_font_with_chinese_characters_covers_them(monkeypatch, tmp_path):
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setattr(fonts, "_font_files", lambda: [str(not_a_font), DEJAVU])
    monkeypatch.setattr(fonts, "_coverage", lambda path: frozenset(map(ord, "检定证书"))
                        if path == DEJAVU else frozenset())
    assert fonts.uncovered("检定证书") == []
    assert fonts.uncovered("校准") == ["校", "准"]


def test_pdf_without_a_chinese_font_is_refused_before_anything_is_written(
        latin_only, store, record_doc, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pdf, "weasyprint_problem", lambda: None)
    url, record = store(record_doc)
    files = [tmp_path / name for name in ("c.html", "c.pdf", "c.xml")]
    assert main(["certificate", record.id, "--registry", url, "--html", str(files[0]),
                 "--pdf", str(files[1]), "--dcc", str(files[2]), "--draft"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "as empty boxes (" in err and "证" in err
    assert "fonts-noto-cjk" in err and "leave out --pdf" in err
    assert not any(f.exists() for f in files)
    # the HTML alone is drawn by its reader's browser: written as before
    assert main(["certificate", record.id, "--registry", url, "--html", str(files[0]),
                 "--draft"]) == 0
    assert "检定证书" in files[0].read_text(encoding="utf-8")
