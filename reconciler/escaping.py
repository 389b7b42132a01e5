"""THE escaping function: text from outside, made safe to show.

``printable`` is the one place where text that came from outside (a file, a file
name, a server, a saved plan, a pull request) is made safe to show: every message,
problem line, plan, report and log line that quotes such text passes it through
``printable`` (``Problem.__str__`` does it for every validation problem). Nothing
else escapes; nothing prints outside text without it.

It escapes control characters (ESC starts the terminal's escape sequences), line
breaks of every kind (so quoted text cannot start a line of its own: no forged
``::add-mask::`` or ``::error::`` workflow command in a GitHub Actions log, no fake
problem line), text-direction and zero-width marks (they reorder or hide what a
reviewer reads) and lone surrogates (they cannot be encoded, and would crash the
write). A line can still begin with outside text only where the caller puts it
there: file names are shown as ``./::x.yaml`` when they would start with ``::``
(``reconciler.desired.display_path``).

It stands on the ground floor (it imports nothing of the project), so that the error
tree, the lock, the loaders and the plan file can use it without importing the
renderers.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ud800-\udfff]"
)
"""Control characters, line separators, text-direction and zero-width marks, lone
surrogates: never printed raw, since they could reorder or hide what a reviewer reads,
drive the terminal, or fail to encode."""
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line, each unprintable character as an escape a reader can see.

    The one escaping function for every string from files and servers (see above).
    """
    return _UNPRINTABLE.sub(lambda m: _NAMED.get(m[0], f"\\u{ord(m[0]):04x}"), text)
