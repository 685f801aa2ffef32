"""The certificate's statements name the gross errors and the abandoned attempts of the
record (issue 8 item 3: the record's statements)."""

from __future__ import annotations

from datetime import date

from labctl.registry.store import open_registry
from labctl.report.certificate import build_view
from labctl.report.html import render_html


def test_gross_errors_and_abandoned_attempts_are_stated(store, record_doc):
    point = record_doc["points"][3]
    point["decision"] = "fail"
    record_doc["decision"] = "fail"
    record_doc["issue"]["document_kind"] = "verification_notice"
    record_doc["conclusion"].update(conforms=False, non_conforming=[point["point"]],
                                    next_due=None, statement="The instrument does not conform.")
    message = ("gross error: instrument 'scale' (role dut) answered 'S S 10.000 kg' at load "
               "15 kg, exactly as at load 10 kg (weighing/04)")
    record_doc["gross_errors"] = [{"step": point["step"], "point": point["point"],
                                   "role": "dut", "instrument": "scale",
                                   "reply": "S S 10.000 kg", "message": message}]
    record_doc["abandoned_attempts"] = [{"step": "weighing", "point": "weighing/02",
                                         "attempt": 1, "reason": "instrument 'scale', "
                                         "command 'S': no reply", "instrument": "scale",
                                         "command": "S"}]
    url, record = store(record_doc)
    assert record.gross_errors[0].message == message
    with open_registry(url) as registry:
        html = render_html(build_view(registry, record.id, draft=True,
                                      issued=date(2026, 12, 4)))
    assert "粗大误差" in html and "Gross errors" in html
    assert f"{point['point']}: gross error: instrument &#39;scale&#39;" in html
    assert "Attempts abandoned and measured again" in html
    assert "weighing/02, attempt 1: instrument &#39;scale&#39;, command &#39;S&#39;: no reply" \
        in html


def test_a_record_without_them_hashes_as_before(record_doc, store):
    url, record = store(record_doc)
    assert "gross_errors" not in record.document()
    assert "abandoned_attempts" not in record.document()
