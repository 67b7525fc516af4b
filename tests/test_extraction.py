"""Stages 3-4 on the seed: named entities with their types, relations, indicators."""
from __future__ import annotations

from decimal import Decimal

import pytest

from kg.rules import load_rules

from conftest import CORPUS, SEED, report_sentences


def _types(ex):
    return {e.label: e.type for e in ex.entities}


@pytest.mark.parametrize("label,type_", [
    ("金牛研磨", "Enterprise"), ("宏发纵横", "Enterprise"), ("大利节能", "Enterprise"),
    ("梅林村", "Village"), ("东南李家村", "Village"), ("浦河社区", "Community"),
    ("西夏墅镇", "AdministrativeArea"), ("新北区", "AdministrativeArea"), ("常州市", "AdministrativeArea"),
    ("新湖印染", "Project"), ("自来水500管增压提升工程", "Project"),
    ("西夏墅中学", "Institution"), ("省农科院", "Institution"),
    ("区委", "GovernmentAgency"), ("镇党委", "GovernmentAgency"),
    ("刀工具", "Industry"), ("新材料", "Industry"),
    ("丽江路", "Place"), ("东风河", "Place"),
    ("全国四好商会", "Award"), ("河长制", "Program"), ("蔡刚", "Person"),
])
def test_seed_entities(seed_extraction, label, type_):
    assert _types(seed_extraction).get(label) == type_


def test_generic_nouns_are_not_entities(seed_extraction):
    labels = set(_types(seed_extraction))
    for generic in ("乡村", "农村", "美丽乡村", "重点项目", "龙头企业", "园区", "企业"):
        assert generic not in labels


def test_aliases_are_kept(seed_extraction):
    by_label = {e.label: e for e in seed_extraction.entities}
    assert "西夏墅" in by_label["西夏墅镇"].aliases
    assert "全国“四好”商会" in by_label["全国四好商会"].aliases
    # a short form is the same entity as the full name the report also uses
    assert "西夏墅幼儿园" in by_label["西夏墅镇中心幼儿园"].aliases
    assert "西夏墅幼儿园" not in by_label
    # but a different school is not a short form: 初级 is no infix
    assert {"西夏墅中学", "西夏墅初级中学"} <= set(by_label)


def test_seed_relations(seed_extraction):
    facts = {(r.subject[1], r.predicate, r.object if isinstance(r.object, str) else r.object[1])
             for r in seed_extraction.relations}
    assert ("西夏墅镇", "partOf", "新北区") in facts
    assert ("新北区", "partOf", "常州市") in facts
    assert ("梅林村", "partOf", "西夏墅镇") in facts
    assert ("西夏墅镇商会", "receivedAward", "全国四好商会") in facts
    assert ("粤商工具", "hasStatus", "completed") in facts
    assert ("德利斯护理用品", "hasStatus", "ongoing") in facts
    assert ("卫生院", "cooperatesWith", "市一院") in facts
    assert ("梅林村居民集聚点", "locatedIn", "梅林村") in facts
    every = {r.rule for r in seed_extraction.relations}
    assert all(rule.startswith("rel.") for rule in every)


def test_seed_headline_indicator(seed_extraction):
    gdp = [i for i in seed_extraction.indicators if i.metric == "地区生产总值" and i.year == 2022]
    assert len(gdp) == 1
    assert (gdp[0].value, gdp[0].unit, gdp[0].growth_pct, gdp[0].kind) == (Decimal("80.57"), "亿元", Decimal("6.5"), "estimate")
    assert gdp[0].subject == ("AdministrativeArea", "西夏墅镇")
    target = [i for i in seed_extraction.indicators if i.metric == "地区生产总值" and i.year == 2023]
    assert [(t.value, t.growth_pct, t.kind) for t in target] == [(None, Decimal("10"), "target")]


def test_every_mention_names_its_rule(seed_extraction):
    ids = {r.id for name in ("entities",) for r in load_rules(name).rules}
    for e in seed_extraction.entities:
        for m in e.mentions:
            assert m.rule in ids or m.rule.startswith("ent.header.")
            assert seed_extraction.document.text[m.start:m.end] == m.text


def _mentions(text: str) -> set[tuple[str, str]]:
    from kg.entities import find_mentions
    from kg.model import Sentence
    return {(m.label, m.type) for m in find_mentions([Sentence(0, text, 0, len(text), "review", 2022)])}


@pytest.mark.parametrize("text,expected", [
    # a conjunction jieba glued into a guessed name is split off again
    ("依托东湖步行街、西城风情街和万琪便民市场", ("万琪便民市场", "Place")),
    # a road section is one place
    ("东风路至解放路被评为省美丽农村精品示范路", ("东风路至解放路", "Place")),
    # a counted list needs no 等
    ("形成精品西瓜、绿色蔬菜4个示范区", ("绿色蔬菜", "Place")),
    # townships whose status changes are areas
    ("甲庄、乙桥撤乡改镇如期完成", ("乙桥", "AdministrativeArea")),
    # a building an institution puts up is named with it
    ("区妇幼保健院新建住院病房楼完成主体施工", ("区妇幼保健院新建住院病房楼", "Project")),
    # a developer's brand before a project's name is a company
    ("力争华南高科·东城新经济产业园（一期）投产", ("华南高科", "Enterprise")),
    # a phase in brackets stays part of a listed project's name
    ("力争华南高科·东城新经济产业园（一期）等续建项目投产", ("华南高科·东城新经济产业园（一期）", "Project")),
    # sectors by their standard names
    ("现代服务业蓬勃发展", ("现代服务业", "Industry")),
    # a rating passed is a title
    ("区光荣院通过国家二星级评定", ("国家二星级", "Award")),
])
def test_general_entity_rules(text, expected):
    assert expected in _mentions(text)


@pytest.mark.parametrize("text,label", [
    ("新增城区停车位1860个", "增城区"),                  # a division name across two words
    ("深化与天津港、黄骅港合作", "天津"),                # inside a longer name
    ("加强11个社区老年人日间照料服务站点管理", "社区老年人日间照料服务站"),  # a counted kind
    ("保障保定市重大项目建设", "保定市重大项目"),        # an area before a generic noun
    ("改建通村公路、村内道路", "改建通村公路"),          # a verb before a generic noun
    ("新建“四好农村路”不少于20公里", "四好农村路"),     # a quoted slogan is no road
    ("创建省级以上民主法治示范村3个", "民主法治示范村"),  # a counted title
    ("过去的一年，我们于变局中开新局", "变局中开新局"),
])
def test_general_non_entities(text, label):
    assert label not in {l for l, _ in _mentions(text)}


def test_general_relation_rules():
    from kg.pipeline import extract
    ex = extract(CORPUS / "01_qingyuanqu_2023.txt")
    facts = {(r.subject[1], r.predicate, r.object if isinstance(r.object, str) else r.object[1])
             for r in ex.relations}
    assert ("余姚", "partOf", "浙江") in facts              # the nearest ancestor named
    assert ("张登镇", "partOf", "清苑区") in facts          # a county's towns lie in it
    assert ("区光荣院", "receivedAward", "国家二星级") in facts  # every name listed before the cue
    assert not any(p == "receivedAward" and o == "文明城市" for _, p, o in facts)  # a goal of the plan


def test_kg_cuts_sentences_as_jieba_would_with_its_guess_for_unknown_words():
    """kg finds jieba's best route in one pass of its own: on real reports the
    words and tags are those of posseg's own route, given kg's guess for
    runs no dictionary knows."""
    import jieba.posseg
    from kg import segment
    tagger = segment.initialize()
    reference = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    reference.tokenizer, reference.word_tag_tab = tagger.tokenizer, tagger.word_tag_tab
    segment._guess_unknown_words(reference)
    for sentence in report_sentences([SEED, *sorted(CORPUS.glob("*.txt"))[:4]]):
        assert ([(p.word, p.flag) for p in tagger.cut(sentence.text)]
                == [(p.word, p.flag) for p in reference.cut(sentence.text)]), sentence.text
