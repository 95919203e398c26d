"""Outside text made safe for the medium it is written to.

File and folder names, problems quoting them, email addresses and server replies come from
outside duban: a clerk can name a file ``=HYPERLINK("http://x","点我")``, ``\\x1b[2J`` or with
an invisible right-to-left override. Every writer shows such text as text:

- :func:`visible`, for people in any medium: control characters (C0 but tab and newline, DEL,
  C1, so also the carriage return that overwrites a terminal line), undecodable
  bytes (lone surrogates from a share mounted with the wrong charset) and the bidirectional
  overrides that reorder what is shown become visible escapes (``\\x1b``, ``\\u202e``). The
  terminal gets no escape code; a workbook cell gets nothing its XML refuses;
- the Excel writer also stores every text cell as a string, never a formula (``=1+1`` stays
  ``=1+1``);
- HTML pages and emails are autoescaped by Jinja2 (``<b>`` is shown, not obeyed), their text
  through :func:`visible` like the workbook's (the report columns; the email templates' every
  ``{{ }}``, text part too).

Shared vocabulary at the bottom: the report, the reminders and the terminal all use it.
"""

from __future__ import annotations

import re

# control characters but tab and newline, C1, bidi overrides, undecodable bytes
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def _shown(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte carried by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every character that would act instead of being read made visible."""
    return _HIDDEN.sub(lambda m: _shown(m.group()), "" if text is None else str(text))
