"""URLs in text: ``http(s)://`` links and bare ``www.`` hosts, deduplicated in order of
appearance, without the punctuation that ends a Chinese sentence around them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# ASCII URL characters only: Chinese text right after a link ends it ("见http://a.cn/x。详见…")
_URL = re.compile(r"(?:https?://|(?<![A-Za-z0-9./@-])www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.I)
_SPLIT = re.compile(r"(?=https?://)", re.I)
_TRAIL = ".,;:!?'\"、，。；：！？）】》」』(["
# Chinese punctuation ends a link: replaced by a space *before* NFKC would turn "，（" into ",("
_CJK_PUNCT = re.compile(r"[，（）。；！？【】《》、「」『』“”‘’]")
MAX_LINKS = 1000


def _clean(url: str) -> str:
    while url and url[-1] in _TRAIL + ")]":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


def find_links(text: str) -> list[str]:
    """URLs in ``text`` (full-width characters normalised first), in order, once each."""
    if not text or ("http" not in text and "www" not in text and "ｈｔｔｐ" not in text and "ｗｗｗ" not in text):
        return []
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _CJK_PUNCT.sub(" ", text))
    out: list[str] = []
    for m in _URL.finditer(text):
        for piece in _SPLIT.split(m.group(0)):  # "http://a.cn,http://b.cn" is two links
            url = _clean(piece)
            if not url:
                continue
            if url.lower().startswith("www."):
                url = "http://" + url
            elif not url.lower().startswith("http"):
                continue
            host = url.split("://", 1)[1].split("/", 1)[0]
            if "." not in host or host.endswith(".") or host.startswith("."):
                continue
            out.append(url)
    return dedup(out)


def dedup(urls: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for u in urls:
        if u not in seen:
            seen.add(u)
            out.append(u)
            if len(out) >= MAX_LINKS:
                break
    return out


def url_shortcut(text: str) -> list[str]:
    """The target of a Windows ``.url`` shortcut (``[InternetShortcut]`` / ``URL=...``)."""
    out = []
    for line in text.splitlines():
        if line.strip().upper().startswith("URL="):
            out.append(line.split("=", 1)[1].strip())
    return dedup(u for u in out if u.lower().startswith(("http://", "https://")))


_REL = re.compile(r"<Relationship\b[^>]*>")
_TARGET = re.compile(r'Target="([^"]+)"')


def external_hyperlinks(rels_xml: str) -> list[str]:
    """http(s) targets of the external hyperlink relationships in an OOXML ``.rels`` part
    (links behind display text in Word and Excel)."""
    out = []
    for m in _REL.finditer(rels_xml):
        tag = m.group(0)
        if "/hyperlink" in tag and 'TargetMode="External"' in tag:
            t = _TARGET.search(tag)
            if t and t.group(1).lower().startswith(("http://", "https://")):
                out.append(t.group(1).replace("&amp;", "&"))
    return out
