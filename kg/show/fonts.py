"""Fonts with Chinese characters, for pictures: without one every Chinese character is drawn as a box.

vl-convert (charts' SVG and PNG) sees only the font folders it is shown; Chromium (pictures
of network views) finds fonts through fontconfig in the same folders. A PNG with Chinese
labels is refused, with what to install, when no such font is there: a picture of boxes
that says "wrote" is worse than none. ``.ci/run`` installs Debian's fonts-noto-cjk.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ..base.errors import UsageError

# Where fonts are kept on Linux (and by a user without root), and the families known to cover
# Chinese: Noto / Source Han CJK, WenQuanYi, AR PL, Droid Sans Fallback, and those of other systems.
FONT_FOLDERS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_CJK_FONT = re.compile(r"cjk|sourcehan|wqy|wenquanyi|uming|ukai|droidsansfallback|notosans[st]c|notoserif[st]c|"
                       r"simsun|simhei|msyh|pingfang|hiragino", re.IGNORECASE)
_FONT_FILE = (".ttf", ".otf", ".ttc", ".otc")

NO_CJK_FONT = ("a PNG with Chinese labels needs a font with Chinese characters, and none is installed "
               "(apt-get install fonts-noto-cjk, or put one in ~/.local/share/fonts); "
               "SVG and HTML leave the font to the viewer")


@cache
def cjk_font_folders() -> tuple[str, ...]:
    """The folders holding a font with Chinese characters, sorted; empty when there is none."""
    found: set[str] = set()
    for root in FONT_FOLDERS:
        folder = Path(root).expanduser()
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.suffix.lower() in _FONT_FILE and _CJK_FONT.search(path.name):
                found.add(str(path.parent))
    return tuple(sorted(found))


def need_cjk_font() -> tuple[str, ...]:
    """The folders of the fonts with Chinese characters; UsageError when there is none."""
    folders = cjk_font_folders()
    if not folders:
        raise UsageError(NO_CJK_FONT)
    return folders
