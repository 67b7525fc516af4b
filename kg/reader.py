"""Stage 1, read: a file on disk -> Document (clean text + map to the original).

Real reports arrive as UTF-8 with or without BOM, GB18030/GBK, UTF-16, or Word
files, and carry left-overs of their conversion. We detect the encoding
instead of assuming it, clean those left-overs, and remember for every kept
character where it stood in the original, so provenance offsets point into the
file the user has.
"""
from __future__ import annotations

import re
import zipfile
from array import array
from pathlib import Path

from .errors import KgError
from .model import Document

SUFFIXES = (".txt", ".docx")

# Conversion left-overs, each removed whole (the characters vanish from the
# cleaned text but not from the offset map).
_NOISE = [
    re.compile(r"\[bookmark: [^\]]*\]"),                  # Word bookmark: [bookmark: _GoBack]
    re.compile(r"(?m)^[ \t\u3000]*[-—–－]\s*\d{1,3}\s*[-—–－][ \t\u3000]*$"),  # page number: - 1 -
    re.compile(r"\ufeff|\u200b|\u200c|\u200d|\u2060"),    # BOM and zero-width characters
    re.compile(r"&(?:nbsp|ensp|emsp|thinsp);|&#(?:160|12288);"),  # scraped pages: 区长&nbsp; 李志永
    re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"),     # control characters (never text)
]
# A short line of single Han characters spread out by spaces, as titles and
# signatures are typeset: "政 府 工 作 报 告", "蔡  刚". The spaces go.
_SPACED_LINE = re.compile(r"(?m)^[ \t\u3000]*[\u4e00-\u9fff](?:[ \t\u3000]+[\u4e00-\u9fff]){1,11}[ \t\u3000]*$")
# Inside any line: a name typeset with a wide gap after a title ("县长 许  喆").
_SPACED_NAME = re.compile(r"(?<=[\u4e00-\u9fff])[ \t\u3000]{2,}(?=[\u4e00-\u9fff][ \t\u3000]*$)", re.M)
# Full-width ASCII digits, letters, '.', '%' become ASCII one for one (offsets stay aligned).
_FULLWIDTH = {c: chr(c - 0xFEE0) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF0E, 0xFF05]}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ONE_FOR_ONE = str.maketrans({"\r": "\n", **_FULLWIDTH})   # offsets stay aligned
_CRLF = re.compile(r"\r(?=\n)")
_KEPT = re.compile(rb"\x00+")        # runs of kept characters in the drop mask


def read_document(path: str | Path) -> Document:
    """Read one report; raise KgError with one clear sentence if it can't be read."""
    p = Path(path)
    if not p.exists():
        raise KgError(f"{p}: no such file or folder.")
    if p.is_dir():
        raise KgError(f"{p}: is a folder, not a report file.")
    try:
        raw = p.read_bytes()
    except OSError as err:
        raise KgError(f"{p}: cannot be read ({err.strerror or err}).") from None
    if p.suffix.lower() == ".docx":
        original = _docx_text(p, raw)
    else:
        original = decode(raw, p)
    return clean(original, doc_id=p.stem, path=str(p))


def decode(raw: bytes, where: Path | str = "input") -> str:
    """Bytes -> str: BOMs first, then strict UTF-8, then GB18030, then detection."""
    if not raw.strip():
        raise KgError(f"{where}: the file is empty.")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _strict(raw[3:], "utf-8", where)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(raw, "utf-16", where)
    if raw.startswith((b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"GIF8", b"\xff\xd8\xff")):
        raise KgError(f"{where}: is a binary file (an image, PDF or office file), not a text report.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw[:4096]:
        # UTF-16 without BOM: the high byte of ASCII characters is zero.
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            if _HAN.search(text):
                return text
        raise KgError(f"{where}: is a binary file, not a text report.")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # only for the rare odd file
    best = from_bytes(raw).best()
    if best is None:
        raise KgError(f"{where}: the text encoding could not be recognised.")
    return str(best)


def _strict(raw: bytes, encoding: str, where) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise KgError(f"{where}: is not valid {encoding.upper()} although it starts with its byte-order mark.") from None


def _docx_text(path: Path, raw: bytes) -> str:
    if not raw:
        raise KgError(f"{path}: the file is empty.")
    try:
        import docx  # python-docx, imported only for Word files
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise KgError(f"{path}: is not a readable .docx file ({type(err).__name__}).") from None
    except Exception as err:  # python-docx raises its own types for broken packages
        raise KgError(f"{path}: is not a readable .docx file ({err}).") from None
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def clean(original: str, doc_id: str, path: str) -> Document:
    """Remove conversion left-overs, keeping a map from each kept char to the original."""
    drop = bytearray(len(original))
    for pattern in _NOISE:
        for m in pattern.finditer(original):
            drop[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in _SPACED_LINE.finditer(original):
        for i in range(m.start(), m.end()):
            if original[i] in " \t\u3000":
                drop[i] = 1
    for m in _SPACED_NAME.finditer(original):
        drop[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    # \r\n is one line end: its \r goes; a lone \r becomes \n below
    for m in _CRLF.finditer(original):
        drop[m.start()] = 1
    text_parts: list[str] = []
    run_starts, run_origins = array("q"), array("q")
    length = 0
    for m in _KEPT.finditer(drop):
        text_parts.append(original[m.start():m.end()])
        run_starts.append(length)
        run_origins.append(m.start())
        length += m.end() - m.start()
    text = "".join(text_parts).translate(_ONE_FOR_ONE)
    del text_parts
    if not _HAN.search(text):
        raise KgError(f"{path}: contains no Chinese text, so it is not a government work report kg can read.")
    return Document(doc_id=doc_id, path=path, text=text, run_starts=run_starts, run_origins=run_origins,
                    original_length=len(original))
