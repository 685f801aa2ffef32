"""From the command line to the certificate: the run's certificate inputs, a scale that
fails its verification, a correction's new number, and bad certificate inputs refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.registry.record import Record
from labctl.report.dcc import validate_dcc

ROOT = Path(__file__).resolve().parents[2]
PROCEDURE = ROOT / "procedures" / "scale-jjg539.yaml"


def _bench(tmp_path: Path, replace: dict[str, str]) -> Path:
    text = (ROOT / "benches" / "sim-scale.yaml").read_text(encoding="utf-8")
    text = text.replace("register: register.yaml",
                        f"register: {(ROOT / 'benches' / 'register.yaml').as_posix()}")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "bench.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scale_out_of_tolerance_gets_a_notice_naming_what_failed(tmp_path, capsys):
    # a span error of 1e-3 is 15 g at Max, twice the MPE of 7.5 g
    bench = _bench(tmp_path, {"gain: 2.0e-4": "gain: 1.0e-3"})
    out = tmp_path / "record.json"
    assert main(["run", str(PROCEDURE), "--bench", str(bench), "-q", "--json", str(out),
                 "--customer", "Stall 17, East Market", "--customer-address", "East Market",
                 "--deviation", "eccentricity loads placed by hand"]) == 0
    record = Record.model_validate(json.loads(out.read_text(encoding="utf-8")))
    assert record.decision == "fail"
    assert record.issue.document_kind == "verification_notice"
    assert record.customer.name == "Stall 17, East Market"
    assert record.method.deviations == ["eccentricity loads placed by hand"]
    failing = [p.point for p in record.points if p.decision not in ("pass", "conditional_pass")]
    assert failing and record.conclusion.non_conforming == failing
    assert record.conclusion.next_due is None
    capsys.readouterr()
    html, dcc = tmp_path / "notice.html", tmp_path / "notice.xml"
    assert main(["certificate", record.id, "--html", str(html), "--dcc", str(dcc),
                 "--draft"]) == 0
    text = html.read_text(encoding="utf-8")
    assert "检定结果通知书" in text and "Stall 17, East Market" in text
    assert "eccentricity loads placed by hand" in text
    for point in failing:
        assert point in re.search(r"Non-conforming items.*?</p>", text, re.S).group(0)
    assert validate_dcc(dcc) == []
    assert b"<dcc:conformity>fail</dcc:conformity>" in dcc.read_bytes()


def test_a_correction_is_a_new_certificate_number(tmp_path):
    from labctl.calibration import CalibrationRequest, calibrate, correct

    first = calibrate(CalibrationRequest(PROCEDURE, ROOT / "benches" / "sim-scale.yaml"))
    corrected, _report = correct(first.journal_path, PROCEDURE, supersedes=first.record.id)
    assert corrected.supersedes == first.record.id
    assert corrected.issue.number != first.record.issue.number
    assert corrected.issue.number.startswith("CIM-M-")
    assert corrected.customer == first.record.customer  # from the same journal


@pytest.mark.parametrize(("replace", "message"), [
    ({"  country: CN\n  accreditation": "  country: China\n  accreditation"}, "country"),
    ({"place: {kind: laboratory,": "place: {kind: garage,"}, "kind"),
    ({"  number_prefix: CIM-M": "  number_prefix: 'CIM M/'"}, "number_prefix"),
])
def test_bad_certificate_inputs_in_a_bench_are_refused_with_file_and_line(
        tmp_path, capsys, replace, message):
    bench = _bench(tmp_path, replace)
    assert main(["run", str(PROCEDURE), "--bench", str(bench), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(bench) in err and message in err
    assert re.search(r"bench\.yaml:\d+", err)


def test_a_procedure_period_that_is_not_a_duration_is_refused(tmp_path, capsys):
    text = PROCEDURE.read_text(encoding="utf-8").replace("period: 1 year", "period: yearly")
    procedure = tmp_path / "p.yaml"
    procedure.write_text(text, encoding="utf-8")
    assert main(["run", str(procedure), "--bench", str(ROOT / "benches" / "sim-scale.yaml"),
                 "-q"]) == 2
    err = capsys.readouterr().err
    assert "period" in err and "p.yaml" in err


def test_a_standard_whose_certificate_names_no_issuer_is_refused_before_the_run():
    from types import SimpleNamespace

    from labctl.calibration import _standards_data
    from labctl.errors import RunError

    entry = SimpleNamespace(as_record=lambda: {"id": "REF-7", "certificate": "C-1"})
    bench = SimpleNamespace(standards_used=lambda: [entry])
    with pytest.raises(RunError, match="REF-7 names no issuing laboratory"):
        _standards_data(bench)


def test_a_test_of_two_quantities_gets_a_table_each_and_the_dcc_keeps_them_apart(
        tmp_path, capsys):
    """The GHG multipoint record has CO2 (µmol/mol) and CH4 (nmol/mol) points under the
    same test and point ids: the certificate gives each quantity its own table (no
    column mixes units) and each DCC result carries its own point's values."""
    out = tmp_path / "record.json"
    assert main(["run", str(ROOT / "procedures" / "ghg-multipoint.yaml"), "--bench",
                 str(ROOT / "benches" / "sim-ghg.yaml"), "-q", "--json", str(out),
                 "--runs-dir", str(tmp_path / "runs"),
                 "--registry", f"sqlite:///{tmp_path / 'r.db'}"]) == 0
    record = Record.model_validate(json.loads(out.read_text(encoding="utf-8")))
    ids = [p.point for p in record.points if p.test == "indication_error"]
    assert len(ids) > len(set(ids))            # the same ids for both components
    html, dcc = tmp_path / "c.html", tmp_path / "c.xml"
    assert main(["certificate", record.id, "--registry", f"sqlite:///{tmp_path / 'r.db'}",
                 "--html", str(html), "--dcc", str(dcc), "--draft"]) == 0
    text = html.read_text(encoding="utf-8")
    assert "one after the other (CO2)" in text and "one after the other (CH4)" in text
    assert "/ µmol/mol" in text and "/ nmol/mol" in text
    # a result without numbers (the fit) shows what it states instead of dashes
    assert "by generalized least squares (ISO 6143); gamma = " in text
    assert validate_dcc(dcc) == []
    xml = dcc.read_text(encoding="utf-8")
    for p in record.points:
        if p.test == "indication_error":     # each point's own indication is in the DCC
            assert f"<si:value>{p.indication.value:g}" in xml or \
                f"<si:value>{p.indication.value!r}" in xml, p
