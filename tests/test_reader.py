"""Stage 1: reading real inputs in their real encodings, and refusing bad ones."""
from __future__ import annotations

import pytest

from kg.errors import KgError
from kg.reader import read_document

from conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def test_seed_is_cleaned_of_conversion_leftovers():
    doc = read_document(SEED)
    assert doc.text.startswith("政府工作报告\n")          # 政 府 工 作 报 告
    assert "\n蔡刚\n" in doc.text                          # 蔡  刚
    assert "[bookmark" not in doc.text
    assert "- 1 -" not in doc.text
    assert "三是廉政建设全面加强" in doc.text


def test_offsets_point_into_the_original_file():
    doc = read_document(SEED)
    for phrase in ("三是廉政建设全面加强", "蔡刚", "地区生产总值80.57亿元"):
        i = doc.text.index(phrase)
        begin, end = doc.original_span(i, i + len(phrase))
        assert SEED_TEXT[begin:end].replace(" ", "") == phrase


@pytest.mark.parametrize("encoding,bom", [
    ("gb18030", b""), ("gbk", b""), ("utf-8", b"\xef\xbb\xbf"),
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
])
def test_encodings_are_detected(tmp_path, encoding, bom):
    path = tmp_path / "report.txt"
    path.write_bytes(bom + SEED_TEXT.encode(encoding))
    doc = read_document(path)
    assert "全年预计实现地区生产总值80.57亿元" in doc.text


def test_crlf_and_fullwidth_digits(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes("各位代表：\r\n全年实现地区生产总值８０．５７亿元。\r\n".encode("utf-8"))
    doc = read_document(path)
    assert "\r" not in doc.text
    assert "80.57亿元" in doc.text


def test_docx_is_read(tmp_path):
    import docx
    d = docx.Document()
    for line in SEED_TEXT.splitlines()[:14]:
        d.add_paragraph(line)
    path = tmp_path / "report.docx"
    d.save(path)
    doc = read_document(path)
    assert "地区生产总值80.57亿元" in doc.text


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"just some english text, no report here", "no Chinese text"),
])
def test_bad_files_get_one_clear_sentence(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(KgError, match=message):
        read_document(path)


def test_missing_path_and_broken_docx(tmp_path):
    with pytest.raises(KgError, match="no such file"):
        read_document(tmp_path / "nope.txt")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(KgError, match="not a readable .docx"):
        read_document(broken)
