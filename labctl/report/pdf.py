"""The certificate as PDF, from its HTML, through WeasyPrint (the optional extra ``pdf``:
``pip install 'labctl[pdf]'``; WeasyPrint needs Pango on the system)."""

from __future__ import annotations

from pathlib import Path

from labctl.errors import LabctlError


class PdfUnavailable(LabctlError):
    """WeasyPrint (or the system libraries it needs) is missing."""


def weasyprint_problem() -> str | None:
    """None when WeasyPrint can be used here, else why not (one line)."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as err:
        return f"WeasyPrint is not installed ({err}); pip install 'labctl[pdf]'"
    except OSError as err:  # Pango/Cairo shared libraries missing
        return f"WeasyPrint cannot load its system libraries: {' '.join(str(err).split())}"
    return None


def html_to_pdf(html: str, target: Path | None = None) -> tuple[bytes, int]:
    """The PDF of ``html`` (written to ``target`` when given) and its page count."""
    problem = weasyprint_problem()
    if problem:
        raise PdfUnavailable(problem, hint="install WeasyPrint and Pango, or leave out --pdf")
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html).render()
    data = document.write_pdf()
    assert data is not None
    if target is not None:
        Path(target).write_bytes(data)
    return data, len(document.pages)
