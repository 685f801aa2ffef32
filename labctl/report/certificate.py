"""Issue a record's certificate: HTML, and from it PDF; the DCC XML beside them.

``issue_certificate`` reads the record from an open registry (any object with
``resolve``, ``get``, ``verify`` and ``url``, as ``labctl.registry`` gives), checks its
hash and signature, asks for its approval (``labctl.report.approval.approval_of``) and
refuses an unapproved record unless ``draft``: a draft says DRAFT on every page and in
the DCC and shows no signatory. This is what ``labctl certificate`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from labctl.errors import LabctlError
from labctl.report.approval import approval_of
from labctl.report.view import NotCertifiable, SignatureStatus, certificate_view


class CertificateRefused(LabctlError):
    """The record cannot be certified (not approved, or not complete enough)."""


@dataclass
class IssuedCertificate:
    record_id: str
    number: str
    draft: bool
    pages: int
    html: Path | None = None
    pdf: Path | None = None
    pdf_pages: int | None = None
    dcc: Path | None = None
    signature: SignatureStatus | None = None


def signature_status(registry: Any, record: Any) -> SignatureStatus:
    """The registry's verdict on the record's hash and signature."""
    problems = list(registry.verify(record.id))
    return SignatureStatus(verified=not problems and record.signed, key_id=record.key_id,
                           problems=problems or ([] if record.signed else ["not signed"]))


def build_view(registry: Any, record_id: str, *, draft: bool, issued: date | None = None,
               plots: bool = True, personnel: Any = None) -> dict[str, Any]:
    """The certificate view of a record in ``registry`` (see ``labctl.report.view``);
    ``personnel``: the personnel list the signatories' personal signatures are checked
    against (without it, under the keys the entries carry)."""
    full = registry.resolve(record_id)
    record = registry.get(full)
    approval = approval_of(full, registry, personnel)
    where = f"record {full}"
    if approval is None and not draft:
        status = registry.review_status(full) if hasattr(registry, "review_status") else None
        missing = f" ({status.describe()})" if status is not None else ""
        raise CertificateRefused(
            f"is not approved{missing}: a certificate is issued only for a record a reviewer "
            "checked and an approver authorised", where=where,
            hint="labctl registry review ID --approve --as REVIEWER, then labctl registry "
                 "approve ID --as APPROVER; or give --draft for a draft marked DRAFT with no "
                 "signatory")
    try:
        return certificate_view(record, signature=signature_status(registry, record),
                                approval=approval, draft=draft, issued=issued, plots=plots)
    except NotCertifiable as err:
        raise CertificateRefused(str(err), where=f"registry {registry.url}",
                                 hint="records written by labctl run from this version on "
                                      "carry it; re-analyse the run to make one") from None


def issue_certificate(registry: Any, record_id: str, *, html: Path | None = None,
                      pdf: Path | None = None, dcc: Path | None = None, draft: bool = False,
                      issued: date | None = None, personnel: Any = None) -> IssuedCertificate:
    """Write the certificate of ``record_id`` in ``registry`` (an open registry: the
    command opens it) as HTML, PDF and/or DCC."""
    from labctl import __version__
    from labctl.report.html import render_html

    if pdf is not None:  # refused before anything is written
        from labctl.report.pdf import PdfUnavailable, weasyprint_problem

        problem = weasyprint_problem()
        if problem:
            raise PdfUnavailable(problem, hint="install WeasyPrint and Pango, or leave out "
                                               "--pdf")
    view = build_view(registry, record_id, draft=draft, issued=issued, personnel=personnel)
    out = IssuedCertificate(record_id=view["record"].id, number=view["number"], draft=draft,
                            pages=view["pages"], signature=view["signature"])
    text = render_html(view) if html is not None or pdf is not None else None
    if pdf is not None and text is not None:
        _refuse_missing_glyphs(text)
    if html is not None and text is not None:
        Path(html).write_text(text, encoding="utf-8")
        out.html = Path(html)
    if pdf is not None and text is not None:
        from labctl.report.pdf import html_to_pdf

        _data, out.pdf_pages = html_to_pdf(text, Path(pdf))
        out.pdf = Path(pdf)
    if dcc is not None:
        from labctl.report.dcc import dcc_xml

        Path(dcc).write_bytes(dcc_xml(view, software_version=__version__))
        out.dcc = Path(dcc)
    return out


def _refuse_missing_glyphs(text: str) -> None:
    """Refuse a PDF in which some characters of ``text`` would be drawn as empty boxes,
    no font installed here having them (``labctl.report.fonts``)."""
    from labctl.report.fonts import FONT_ADVICE, uncovered
    from labctl.report.pdf import PdfUnavailable

    missing = uncovered(text)
    if missing:
        shown = " ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise PdfUnavailable(
            f"the PDF would draw {len(missing)} of the certificate's characters as empty "
            f"boxes ({shown}): no font installed here has them",
            hint=f"{FONT_ADVICE}; or leave out --pdf (the HTML is drawn by its reader's "
                 "browser, with the reader's fonts)")
