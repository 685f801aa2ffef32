"""Whether this machine's fonts can draw a certificate's characters.

A certificate carries Chinese labels (检定证书, 校准证书...) beside the English ones, and
often a Chinese customer name and address. A PDF is drawn on the machine that writes it:
where no installed font has a character, Pango draws an empty box in its place, and a
certificate whose title is four boxes is not one a lab can issue. A minimal Linux server
(a registry host, a CI runner) often has no CJK font at all. ``uncovered`` finds the
characters no installed font has, so ``labctl certificate --pdf`` can refuse before it
writes anything and say which font to install.

The fonts are the ones matplotlib finds (fontconfig's list where it has one, else the
system's font folders, on Linux, Windows and macOS alike), and a font's characters are
read from its character map with matplotlib's FreeType binding. Pango falls back per
character to any installed font that has it, so one font having a character is enough.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

#: Words in the names of font files that usually hold Chinese characters: read first, so
#: that a machine with many fonts is answered after a few.
_CJK_HINTS = ("cjk", "han", "hei", "song", "ming", "kai", "wqy", "wenquanyi", "yahei",
              "simsun", "simhei", "pingfang", "droidsansfallback", "uming", "ukai", "arphic")

#: Advice on installing a font with Chinese characters, by system.
FONT_ADVICE = ("install a font with Chinese characters: Debian/Ubuntu `apt-get install "
               "fonts-noto-cjk` (or the smaller fonts-wqy-microhei), Fedora `dnf install "
               "google-noto-sans-cjk-fonts`; Windows and macOS have one")


def uncovered(characters: Iterable[str]) -> list[str]:
    """The characters of ``characters`` (beyond ASCII, not white space) that no font
    installed here has, in order of first appearance, each once."""
    wanted = list(dict.fromkeys(c for c in characters if ord(c) > 127 and not c.isspace()))
    if not wanted:
        return []
    missing = {ord(c) for c in wanted}
    for path in _font_files():
        missing -= _coverage(path)
        if not missing:
            return []
    return [c for c in wanted if ord(c) in missing]


def _font_files() -> list[str]:
    """The font files installed here, those whose names suggest Chinese characters first."""
    from matplotlib import font_manager

    paths = sorted(set(font_manager.findSystemFonts(fontext="ttf"))
                   | set(font_manager.findSystemFonts(fontext="otf")))
    return sorted(paths, key=lambda p: not any(h in p.lower() for h in _CJK_HINTS))


@functools.cache
def _coverage(path: str) -> frozenset[int]:
    """The code points the font at ``path`` has a glyph for (nothing for a file FreeType
    cannot read)."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()
