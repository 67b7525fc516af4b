"""Stage 2: header, parts and sentences of real reports."""
from __future__ import annotations

import pytest

from kg.reader import read_document
from kg.structure import read_header, split_sentences

from conftest import CORPUS, SEED


def test_seed_header():
    info = read_header(read_document(SEED))
    assert info.title == "政府工作报告"
    assert info.date == "2023-01-06"
    assert info.speaker == "蔡刚"
    assert info.area_chain == ("常州市", "新北区", "西夏墅镇")
    assert info.meeting == "西夏墅镇第五届人民代表大会第三次会议"
    assert (info.review_year, info.plan_year) == (2022, 2023)


def test_seed_parts_decide_the_year():
    doc = read_document(SEED)
    sentences = split_sentences(doc, read_header(doc))
    gdp = next(s for s in sentences if "地区生产总值80.57亿元" in s.text)
    assert (gdp.part, gdp.year) == ("review", 2022)
    assert gdp.section.startswith("一、聚焦调结构")
    target = next(s for s in sentences if "地区生产总值增长10%左右" in s.text)
    assert (target.part, target.year) == ("plan", 2023)
    problem = next(s for s in sentences if "特色产业规模优势不强" in s.text)
    assert problem.part == "problems"
    for s in sentences:
        assert doc.text[s.start:s.end] == s.text


@pytest.mark.parametrize("name,area,speaker,years", [
    ("01_qingyuanqu_2023.txt", ("保定市", "清苑区"), "李英英", (2022, 2023)),
    ("05_fupingxian_2022.txt", ("阜平县",), "王占祥", (2021, 2022)),
    ("07_boyexian_2024.txt", ("博野县",), "许喆", (2023, 2024)),
    ("10_gaoyangxian_2018.txt", ("高阳县",), "闫向阳", (2017, 2018)),
])
def test_other_reports_headers(name, area, speaker, years):
    doc = read_document(CORPUS / name)
    info = read_header(doc)
    assert info.area_chain == area
    assert info.speaker == speaker
    assert (info.review_year, info.plan_year) == years
    parts = {s.part for s in split_sentences(doc, info)}
    assert {"review", "plan"} <= parts


@pytest.mark.parametrize("name,area,date,speaker", [
    # scraped page: 标题/发文单位/报告人 lines, a date in Chinese numerals
    ("hebeisheng_2012.txt", ("河北省",), "2012-01-06", "张庆伟"),
    # no 在 before the place, and &nbsp; between title and name
    ("baoding_xushui_2019.txt", ("保定市", "徐水区"), "2019-01-29", "李志永"),
    # a news page around the report: the meeting is named in a headline
    ("gaoyangxian_2023.txt", ("高阳县",), None, None),
])
def test_scraped_report_headers(name, area, date, speaker):
    from conftest import DATA
    info = read_header(read_document(DATA / "scraped" / name))
    assert (info.area_chain, info.date, info.speaker) == (area, date, speaker)


def test_a_chain_drops_the_words_before_it():
    from kg.structure import split_area_chain
    assert split_area_chain("政府工作报告在河北省") == ("河北省",)
    assert split_area_chain("常州市新北区西夏墅镇") == ("常州市", "新北区", "西夏墅镇")
    assert split_area_chain("较好完成了县") == ()
