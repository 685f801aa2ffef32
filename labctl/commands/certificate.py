"""``labctl certificate``: a record's certificate as HTML, PDF and DCC XML."""

from __future__ import annotations

from pathlib import Path

import click

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("certificate")
@click.argument("record_id")
@click.option("--registry", "registry_url", default=None, metavar="URL",
              help="The registry (as for labctl run; default: the embedded one).")
@click.option("--html", "html", type=_FILE, required=True, help="Write the HTML certificate.")
@click.option("--pdf", "pdf", type=_FILE, help="Also write it as PDF (needs labctl[pdf] and "
              "an installed font with Chinese characters).")
@click.option("--dcc", "dcc", type=_FILE,
              help="Also write the Digital Calibration Certificate (DCC 3.3.0 XML).")
@click.option("--draft", is_flag=True,
              help="For a record not yet approved: every page and the DCC say DRAFT, and "
                   "no signatory is shown.")
@click.option("--personnel", "personnel_file", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The lab's personnel list: signatories' personal signatures are checked "
              "against its keys (default: env LABCTL_PERSONNEL, else <labctl home>/"
              "personnel.yaml if it exists; without one, under the keys the entries carry).")
def certificate(record_id: str, registry_url: str | None, html: Path, pdf: Path | None,
                dcc: Path | None, draft: bool, personnel_file: Path | None) -> None:
    """Write the certificate of RECORD_ID (a unique id prefix is enough).

    A certificate is issued only for an approved record; --draft writes a draft of an
    unapproved one. The record's hash and signature are checked and their status is
    printed on the certificate, and for each signatory whether their personal signature
    verified.
    """
    from labctl.personnel import personnel_from
    from labctl.registry.store import open_registry
    from labctl.report.certificate import issue_certificate

    personnel = personnel_from(personnel_file)
    with open_registry(registry_url) as registry:
        out = issue_certificate(registry, record_id, html=html, pdf=pdf, dcc=dcc, draft=draft,
                                personnel=personnel)
    kind = "draft of certificate" if out.draft else "certificate"
    click.echo(f"{kind} {out.number} of record {out.record_id}: {out.pages} pages")
    for what, path in (("html", out.html), ("pdf", out.pdf), ("dcc", out.dcc)):
        if path is not None:
            extra = f" ({out.pdf_pages} pages)" if what == "pdf" else ""
            click.echo(f"  {what:4} {path}{extra}")
    if out.signature is not None and not out.signature.verified:
        click.echo("  warning: the record's hash or signature did not verify: "
                   + "; ".join(out.signature.problems), err=True)
