#!/usr/bin/env python3
"""Look at a certificate the way a reader will: render its HTML in headless Chromium.

    labctl certificate RECORD_ID --html cert.html --draft
    python scripts/certificate_screenshot.py cert.html cert.png            # every sheet
    python scripts/certificate_screenshot.py cert.html cert.png --pages 1-2
    python scripts/certificate_screenshot.py cert.html cert.png --print-pdf cert-chromium.pdf

The PNG shows the sheets one under the other, as on screen (each sheet is one A4 page,
with its "page n of m" mark). ``--print-pdf`` also prints the HTML with Chromium's own
print engine, to compare its page count with the sheets' (a sheet that overflowed shows
as an extra page). Needs a Chromium or Chrome binary (Debian: ``apt-get install
chromium``; Chinese text needs a CJK font such as ``fonts-noto-cjk``). The tests do not
need any of this.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SHEET_PX = 1183          # one A4 sheet at 96 px/in (297 mm = 1123 px) plus the 2 x 8 mm gap
WIDTH_PX = 860


def find_browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium/Chrome found: apt-get install chromium (or put it on PATH)")


def _uncovered(text: str) -> list[str]:
    """The characters of ``text`` no installed font has (none known without labctl)."""
    try:
        from labctl.report.fonts import uncovered
    except ImportError:
        return []
    return uncovered(text)


def page_range(text: str | None, pages: int) -> tuple[int, int]:
    if not text:
        return 1, pages
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    if m is None:
        sys.exit(f"--pages {text!r}: give N or N-M")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    return max(1, first), min(pages, last)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="the certificate's HTML (labctl certificate)")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--pages", help="sheets to show, N or N-M (default: all)")
    parser.add_argument("--print-pdf", type=Path, help="also print to PDF with Chromium")
    args = parser.parse_args(argv)
    text = args.html.read_text(encoding="utf-8")
    pages = len(re.findall(r'<section class="sheet ', text))
    first, last = page_range(args.pages, pages)
    browser = find_browser()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "certificate.html"
        if (first, last) != (1, pages):  # keep only the sheets asked for
            sheets = re.split(r'(?=<section class="sheet )', text)
            head, body = sheets[0], sheets[1:]
            tail = body[-1][body[-1].index("</section>") + len("</section>"):]
            body[-1] = body[-1][:body[-1].index("</section>") + len("</section>")]
            text = head + "".join(body[first - 1:last]) + tail
        source.write_text(text, encoding="utf-8")
        height = (last - first + 1) * SHEET_PX + 40
        common = [browser, "--headless", "--no-sandbox", "--disable-gpu",
                  "--hide-scrollbars", f"--user-data-dir={tmp}/profile"]
        subprocess.run([*common, f"--screenshot={args.png.resolve()}",
                        f"--window-size={WIDTH_PX},{height}", source.as_uri()],
                       check=True, capture_output=True, timeout=120)
        print(f"{args.png}: sheets {first}-{last} of {pages}")
        missing = _uncovered(text)
        if missing:
            print(f"warning: no font installed here has {len(missing)} of its characters "
                  f"({' '.join(missing[:8])}...): the screenshot shows them as empty boxes, "
                  "as the reader's browser will not if it has a Chinese font "
                  "(apt-get install fonts-noto-cjk)", file=sys.stderr)
        if args.print_pdf:
            subprocess.run([*common, f"--print-to-pdf={args.print_pdf.resolve()}",
                            "--no-pdf-header-footer", args.html.resolve().as_uri()],
                           check=True, capture_output=True, timeout=120)
            printed = len(re.findall(rb"/Type\s*/Page[^s]", args.print_pdf.read_bytes()))
            verdict = "as many as the sheets" if printed == pages else "NOT the sheets' count"
            print(f"{args.print_pdf}: {printed} printed pages, {verdict} ({pages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
