"""Indicators from the seed report, checked against its gold annotations."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from kg.indicators import extract_indicators, match
from kg.model import Mention, Sentence
from hypothesis import given
from hypothesis import strategies as st

from kg.numbers import normalize, parse_number, split_quantity
from kg.rules import load_rules

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_422bfd801309c4b5.txt"
AREA = ("AdministrativeArea", "西夏墅镇")



def split_seed(text: str) -> list[Sentence]:
    """The simple split: at 。；！？ and newlines; 2022/review before 2023年重点工作, 2023/plan after."""
    sentences: list[Sentence] = []
    part, year = "review", 2022
    for m in re.finditer(r"[^。；！？\n]+[。；！？]?", text):
        body = m.group(0).strip()
        if not body:
            continue
        start = m.start() + m.group(0).index(body)
        if body == "2023年重点工作":
            part, year = "plan", 2023
        sentences.append(Sentence(len(sentences), body, start, start + len(body), part, year))
    return sentences


@pytest.fixture(scope="module")
def seed():
    text = SEED.read_text(encoding="utf-8")
    return text, split_seed(text)


def _find(indicators, metric, year=None):
    return [i for i in indicators if i.metric == metric and (year is None or i.year == year)]


# ------------------------------------------------------------------ numbers

@pytest.mark.parametrize("text, expected", [
    ("80.57", "80.57"), ("８０．５７", "80.57"), ("1,234.5", "1234.5"), ("１２３", "123"),
    ("一百二十", "120"), ("两千三百", "2300"), ("十", "10"), ("三十五", "35"), ("一百零五", "105"),
    ("1.3万", "13000"), ("2.45万人", "24500"), ("一亿两千万", "120000000"),
])
def test_parse_number(text, expected):
    assert parse_number(text) == Decimal(expected)


def test_split_quantity_keeps_value_and_unit_as_written():
    assert split_quantity("2.45万人") == (Decimal("2.45"), "万人")
    assert split_quantity("1000余万元") == (Decimal("1000"), "万元")
    assert split_quantity("５万余人次") == (Decimal("5"), "万人次")


def test_normalize_is_exact():
    value, unit = normalize(Decimal("80.57"), "亿元")
    assert (value, unit) == (Decimal("8057000000"), "CNY")
    assert str(value) == "8057000000"
    assert normalize(Decimal("441"), "万元") == (Decimal("4410000"), "CNY")
    assert normalize(Decimal("3.8"), "万方") == (Decimal("38000"), "m3")
    assert normalize(Decimal("320"), "亩") == (Decimal("320"), "亩")
    assert normalize(Decimal("7760"), "平方米") == (Decimal("7760"), "m2")
    assert normalize(Decimal("2.45"), "万人") == (Decimal("24500"), "人")
    assert normalize(Decimal("3"), "万户") == (Decimal("30000"), "户")
    assert normalize(Decimal("99.3"), "%") == (Decimal("99.3"), "percent")
    assert normalize(Decimal("1"), "光年") is None


# ------------------------------------------------------------------ rules

def test_rule_file_loads_and_every_rule_is_commented():
    rules = load_rules("indicators")
    assert {r.id for r in rules.rules} >= {"ind.amount", "ind.amount.growth", "ind.growth", "ind.list.growth"}
    text = (ROOT / "kg" / "rules" / "indicators.toml").read_text(encoding="utf-8")
    # each [[rule]] is preceded by a comment line saying what it catches
    for m in re.finditer(r"\n\[\[rule\]\]", text):
        before = text[:m.start()].rstrip("\n").splitlines()[-1]
        assert before.startswith("#"), before


def test_not_indicators_are_skipped():
    for text in ("完成城巷桥与S239省道接通工程", "全面完成自来水500管增压提升工程",
                 "打造功能完善、服务周全的15分钟便民服务圈", "聚焦全市“532”发展战略",
                 "是实施“十四五”规划承上启下的关键之年", "西夏墅镇第五届人民代表大会第三次会议",
                 "一是经济运行平稳向好", "预计2月投入使用", "出台《关于坚决整治新增乱占耕地建房问题的十一条硬措施》",
                 "全力做好60岁以上老年人疫苗接种工作", "两个至上", "推进“三个一批”整治"):
        assert [h for h in match(text) if h.shape != "skip"] == [], text


def test_full_width_and_chinese_numerals_in_text():
    sents = [Sentence(0, "全年实现销售８０．５７亿元，新增企业三十五家。", 0, 24, "review", 2022)]
    found = extract_indicators(sents, AREA, {})
    assert [(i.value, i.unit) for i in found] == [(Decimal("80.57"), "亿元"), (Decimal("35"), "家")]


def test_explicit_year_in_clause_redates():
    text = "到2025年全区所有行政村集体经济收入达到10万元以上。"
    found = extract_indicators([Sentence(0, text, 100, 100 + len(text), "plan", 2023)], AREA, {})
    assert len(found) == 1
    ind = found[0]
    assert (ind.year, ind.value, ind.unit, ind.kind) == (2025, Decimal("10"), "万元", "target")
    assert text[ind.start - 100:ind.end - 100] == "10"


def _review(text: str, year: int = 2020) -> list:
    return extract_indicators([Sentence(0, text, 0, len(text), "review", year)], AREA, {})


def test_a_clause_with_no_metric_goes_on_about_the_previous_numbers():
    # baoding_dingxing_2021: each growth is its own amount's measure
    found = _review("规上工业产值和增加值分别达到92亿元和26.4亿元，年均分别增长7.8%、6.2%")
    amounts, growths = found[:2], found[2:]
    assert [(i.value, i.growth_pct) for i in found] == [
        (Decimal("92"), None), (Decimal("26.4"), None), (None, Decimal("7.8")), (None, Decimal("6.2"))]
    assert amounts[0].metric == "规上工业产值" and amounts[1].metric.endswith("增加值")
    assert [i.metric for i in growths] == [i.metric for i in amounts]
    # baoding_rongcheng_2012: the amount after the growth (and its 以上) is the same measure's
    found = _review("奋斗目标是：到 2016年，全县生产总值年均增长12%以上，达到92亿元")
    assert [(i.metric, i.value, i.growth_pct) for i in found] == [
        ("生产总值", None, Decimal("12")), ("生产总值", Decimal("92"), None)]


def test_a_span_of_years_or_an_average_is_not_what_is_measured():
    # hebeisheng_2003: 五年平均 says over what time; the growth is the amount's measure
    found = _review("2002年全省国内生产总值达到6076亿元，五年平均增长9．5％")
    assert [(i.metric, i.value, i.growth_pct) for i in found] == [
        ("国内生产总值", Decimal("6076"), None), ("国内生产总值", None, Decimal("9.5"))]
    # hebeisheng_2001: at comparable prices, the same measure's other growth
    found = _review("全部财政收入增长7.1％，按可比口径增长9.1％")
    assert [(i.metric, i.growth_pct) for i in found] == [
        ("全部财政收入", Decimal("7.1")), ("全部财政收入", Decimal("9.1"))]
    # 年平均 goes whole (not 均 alone), and a year is no span of years
    assert [i.metric for i in _review("全县生产总值年平均增长8%")] == ["生产总值"]
    from kg.indicators import _period_pattern
    assert _period_pattern().search("比2005年") is None
    assert _period_pattern().search("近3年来").group() == "近3年来"
    # at the start too, where it reads as a time (baoding_xushui_2012: 五年来新增就业岗位…),
    # but not the 三年 of a plan's name
    assert _review("五年来城镇居民人均可支配收入年均增长9%")[0].metric == "城镇居民人均可支配收入"
    assert _review("三年行动计划完成率达到95%")[0].metric == "三年行动计划完成率"


def test_the_time_compared_with_and_an_estimate_cue_are_not_what_is_measured():
    # baoding_xushui_2018: 比上年48天 is the same measure a year before, 减少18天 its change
    found = _review("2017年二级以上优良天数209天，比上年190天增加19天；重污染天数30天，比上年48天减少18天。")
    assert [(i.metric, i.value) for i in found] == [
        ("二级以上优良天数", Decimal("209")), ("二级以上优良天数", Decimal("190")),
        ("二级以上优良天数增加", Decimal("19")), ("重污染天数", Decimal("30")),
        ("重污染天数", Decimal("48")), ("重污染天数减少", Decimal("18"))]
    # hebeisheng_2002: 由上年的… as 由2012年的…
    found = _review("非公有制经济占国内生产总值的比重由上年的33.4%提高到35.5%")
    assert {i.metric for i in found} == {"非公有制经济占国内生产总值的比重"} and len(found) == 2
    # baoding_xushui_2011: 预计 says the kind, not the measure; 比2005年 is cut, 占比 is not
    found = _review("2010年城镇居民人均可支配收入预计达17172元")
    assert [(i.metric, i.kind) for i in found] == [("城镇居民人均可支配收入", "estimate")]
    assert _review("单位生产总值能耗比2005年下降20%")[0].metric == "单位生产总值能耗"
    assert _review("高新技术产业增加值占比达到20%")[0].metric == "高新技术产业增加值占比"


def test_from_a_to_b_is_one_measure_twice():
    # baoding_fuping_2020: 由…增长到… names the measure once, before 由
    found = _review("居民储蓄存款余额由2012年的44.45亿元增长到103.75亿元", year=2019)
    assert [(i.metric, i.value, i.year) for i in found] == [
        ("居民储蓄存款余额", Decimal("44.45"), 2012), ("居民储蓄存款余额", Decimal("103.75"), 2019)]
    # hebeisheng_2021: 从 as 由, and no counted noun in 、增长近5倍
    found = _review("国家级高新技术企业从1628家增加到9400家、增长近5倍，科技型中小企业从2.9万家增加到8.7万家")
    assert [(i.metric, i.value) for i in found] == [
        ("国家级高新技术企业", Decimal("1628")), ("国家级高新技术企业", Decimal("9400")),
        ("科技型中小企业", Decimal("2.9")), ("科技型中小企业", Decimal("8.7"))]
    # the same report as the first: the year after 增长到 is the second figure's
    found = _review("农村居民人均可支配收入由2012年的3262元增长到2019年的9800元", year=2019)
    assert [(i.metric, i.value, i.year) for i in found] == [
        ("农村居民人均可支配收入", Decimal("3262"), 2012), ("农村居民人均可支配收入", Decimal("9800"), 2019)]


def test_a_comparison_with_an_earlier_year_is_the_change_this_year():
    # baoding_rongcheng_2012 (its review year 2011): 2006 is what is compared with
    found = _review("地方一般预算收入完成2.16亿元，比2006年增长1.5亿元，年均递增26.8%", year=2011)
    assert [(i.metric, i.value, i.year) for i in found] == [
        ("地方一般预算收入", Decimal("2.16"), 2011), ("地方一般预算收入增长", Decimal("1.5"), 2011)]
    # baoding_qingyuan_2024
    found = _review("银行业金融机构年内新增存贷比达到82.29%，较2022年高出28.4个百分点", year=2023)
    assert [(i.metric.endswith("存贷比"), i.value, i.unit, i.year) for i in found] == [
        (True, Decimal("82.29"), "%", 2023), (False, Decimal("28.4"), "个百分点", 2023)]
    assert found[1].metric == found[0].metric + "高出"
    # baodingshi_2021 and baoding_shunping_2022: a change with no time named
    found = _review("常住人口城镇化率达到56%，提高9个百分点") + _review("全力推进创新创业，市场主体达到1.58万户、增长2997户")
    assert [(i.metric, i.value) for i in found] == [
        ("常住人口城镇化率", Decimal("56")), ("常住人口城镇化率提高", Decimal("9")),
        ("市场主体", Decimal("1.58")), ("市场主体增长", Decimal("2997"))]


def test_a_number_with_no_measure_is_no_indicator():
    # baoding_boye_2021: an index has no unit, so 5.94 is no amount and the
    # decline has nothing before it to be about; it is left out rather than
    # given an empty metric
    assert _review("空气质量综合指数5.94，同比下降13.16%") == []


def test_electricity_and_concentration_units():
    # baoding_laiyuan_2021, and baoding_laiyuan_2020
    found = _review("转供电量6.37亿度，同比增长3.1%") + _review("PM2.5浓度48微克/立方米，同比下降7.69%")
    assert [(i.metric, i.value, i.unit, i.growth_pct) for i in found] == [
        ("转供电量", Decimal("6.37"), "亿度", Decimal("3.1")),
        ("PM2.5浓度", Decimal("48"), "微克/立方米", Decimal("-7.69"))]
    assert normalize(Decimal("6.37"), "亿度") == (Decimal("637000000"), "kWh")


# ------------------------------------------------------------------ the seed

def test_gdp_2022_estimate(seed):
    text, sentences = seed
    found = extract_indicators(sentences, AREA, {})
    gdp = _find(found, "地区生产总值", 2022)
    assert len(gdp) == 1
    g = gdp[0]
    assert (g.value, g.unit, g.growth_pct, g.kind, g.subject) == (
        Decimal("80.57"), "亿元", Decimal("6.5"), "estimate", AREA)
    assert text[g.start:g.end] == "80.57"
    assert g.rule == "ind.amount.growth"
    assert normalize(g.value, g.unit) == (Decimal("8057000000"), "CNY")


def test_estimate_carries_over_semicolons(seed):
    _, sentences = seed
    found = extract_indicators(sentences, AREA, {})
    for metric in ("规上工业总产值", "全社会固定资产投资", "同口径一般公共预算收入"):
        (ind,) = _find(found, metric, 2022)
        assert ind.kind == "estimate", metric
    (ind,) = _find(found, "服务业增加值", 2022)
    assert ind.kind == "actual"


def test_parallel_industry_sales_with_mentions(seed):
    text, sentences = seed
    sent = next(s for s in sentences if "新材料行业、刀工具行业" in s.text)
    mentions = []
    for label in ("新材料", "刀工具"):
        start = sent.start + sent.text.index(label + "行业")
        mentions.append(Mention(label + "行业", label, "Industry", sent.index, start,
                                start + len(label) + 2, "test"))
    found = [i for i in extract_indicators(sentences, AREA, {sent.index: mentions}) if i.sentence == sent.index]
    assert [(i.subject, i.metric, i.value, i.unit, i.growth_pct, i.kind, i.year) for i in found] == [
        (("Industry", "新材料"), "销售", Decimal("50.52"), "亿元", Decimal("4.1"), "estimate", 2022),
        (("Industry", "刀工具"), "销售", Decimal("53.12"), "亿元", Decimal("5.2"), "estimate", 2022),
    ]
    assert all(i.rule == "ind.list.growth" for i in found)
    assert text[found[1].start:found[1].end] == "53.12"


def test_parallel_sales_without_mentions_fall_back_to_area(seed):
    _, sentences = seed
    found = [i for i in extract_indicators(sentences, AREA, {}) if i.metric == "销售"]
    assert [i.subject for i in found] == [AREA, AREA]


def test_subject_right_before_number(seed):
    _, sentences = seed
    sent = next(s for s in sentences if "香山福园四期490套" in s.text)
    start = sent.start + sent.text.index("香山福园四期")
    mention = Mention("香山福园四期", "香山福园四期", "Project", sent.index, start, start + 6, "test")
    found = [i for i in extract_indicators(sentences, AREA, {sent.index: [mention]})
             if i.sentence == sent.index and i.value == Decimal("490")]
    assert found[0].subject == ("Project", "香山福园四期")
    assert found[0].metric == "安置房"


def test_enumeration_before_count_keeps_area(seed):
    _, sentences = seed
    sent = next(s for s in sentences if "引进新湖印染" in s.text)
    mentions = []
    for name in ("新湖印染", "沙特卡", "东辰汽车"):
        start = sent.start + sent.text.index(name)
        mentions.append(Mention(name, name, "Project", sent.index, start, start + len(name), "test"))
    found = [i for i in extract_indicators(sentences, AREA, {sent.index: mentions})
             if i.sentence == sent.index and i.value == Decimal("5")]
    assert found[0].subject == AREA
    assert found[0].metric == "引进项目数"


def test_2023_targets(seed):
    _, sentences = seed
    found = extract_indicators(sentences, AREA, {})
    (gdp,) = _find(found, "地区生产总值", 2023)
    assert (gdp.value, gdp.unit, gdp.growth_pct, gdp.kind) == (None, None, Decimal("10"), "target")
    assert gdp.rule == "ind.growth"
    targets = {i.metric: i.growth_pct for i in found if i.year == 2023 and i.value is None}
    assert targets == {"地区生产总值": 10, "规模工业总产值": 8, "服务业增加值": 11,
                       "一般公共预算收入": 8, "农民人均纯收入": 10}
    assert all(i.kind == "target" for i in found if i.year == 2023)


def test_spans_point_at_the_number(seed):
    text, sentences = seed
    for ind in extract_indicators(sentences, AREA, {}):
        written = text[ind.start:ind.end]
        number = ind.value if ind.value is not None else ind.growth_pct
        assert parse_number(written) == number, (written, ind)


# -- property: every amount parse_number accepts reads back as written ----------

_CN = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    """n in Chinese numerals as reports write them (一亿零五百万, 一千零五, 十五)."""
    if n == 0:
        return "零"
    groups, out, gap = [(n // 10**8) % 10**4, (n // 10**4) % 10**4, n % 10**4], [], False
    for group, big in zip(groups, ("亿", "万", "")):
        if group == 0:
            gap = bool(out)
            continue
        if out and (gap or group < 1000):
            out.append("零")
        text, zero = "", False
        for digit, place in zip(f"{group:04d}", ("千", "百", "十", "")):
            if digit == "0":
                zero = bool(text)
                continue
            if zero:
                text += "零"
            zero = False
            text += ("" if (place == "十" and not text and digit == "1" and not out) else _CN[int(digit)]) + place
        out.append(text + big)
        gap = False
    return "".join(out)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_chinese_numerals_read_back(n):
    assert parse_number(_chinese(n)) == n, _chinese(n)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_full_width_and_grouped_figures_read_back(value):
    written = f"{value:,}".translate(str.maketrans("0123456789.,", "０１２３４５６７８９．，"))
    assert parse_number(written) == value
    assert parse_number(f"{value}亿元") == value * 10**8          # 亿 directly after is part of the number
