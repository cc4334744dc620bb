"""GB/T 2260 regions: the shipped table, lookups and region scoping."""

import csv
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core import data, regions
from wengang.core.errors import RegionError
from wengang.core.regions import (
    MalformedRegionCodeError,
    Region,
    RegionLevel,
    UnknownRegionError,
    children,
    contains,
    get_region,
    is_known_region,
    prefecture_of,
    province_of,
)

ALL = list(regions.all_regions())
CODES = [region.code for region in ALL]


@pytest.mark.parametrize(
    ("code", "name", "level"),
    [
        ("360000", "江西省", "province"),
        ("360100", "南昌市", "prefecture"),
        ("360102", "东湖区", "county"),
        ("110000", "北京市", "province"),
        ("110105", "朝阳区", "county"),
        ("440300", "深圳市", "prefecture"),
        ("440304", "福田区", "county"),
        ("650000", "新疆维吾尔自治区", "province"),
        ("654000", "伊犁哈萨克自治州", "prefecture"),
        ("152900", "阿拉善盟", "prefecture"),
        ("232700", "大兴安岭地区", "prefecture"),
        ("441900", "东莞市", "prefecture"),
        ("419001", "济源市", "county"),
        ("500157", "两江新区", "county"),
        ("653229", "和安县", "county"),
        ("810000", "香港特别行政区", "province"),
    ],
)
def test_sample_regions_were_checked_by_hand(code, name, level):
    region = get_region(code)
    assert (region.name, region.level) == (name, RegionLevel(level))


def test_the_table_has_every_province_and_prefecture_level_unit():
    levels = [region.level for region in ALL]
    assert levels.count(RegionLevel.PROVINCE) == 34
    # 293 地级市 + 7 地区 + 30 自治州 + 3 盟 (民政部, 2024 and 2025).
    prefectures = [r for r in ALL if r.level is RegionLevel.PREFECTURE]
    assert len(prefectures) == 333
    suffixes = [r.name[-1] if not r.name.endswith("地区") else "地区" for r in prefectures]
    assert (suffixes.count("市"), suffixes.count("地区"), suffixes.count("州"),
            suffixes.count("盟")) == (293, 7, 30, 3)
    assert levels.count(RegionLevel.COUNTY) > 2800


def test_the_table_is_well_formed():
    text = resources.files(data).joinpath("regions.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == ["code", "name", "level", "parent"]
    assert len({row["code"] for row in rows}) == len(rows)
    assert [row["code"] for row in rows] == sorted(row["code"] for row in rows)
    by_code = {row["code"]: row for row in rows}
    for row in rows:
        assert row["name"].strip() == row["name"] != ""
        if row["level"] == "province":
            assert row["code"].endswith("0000") and row["parent"] == ""
        else:
            parent = by_code[row["parent"]]
            assert row["code"].startswith(parent["code"][:2])
            if row["level"] == "prefecture":
                assert parent["level"] == "province" and row["code"].endswith("00")
            elif parent["level"] == "prefecture":
                assert row["code"][:4] == parent["code"][:4]
            else:  # a municipality's district, or a county-level city run by the province
                assert row["code"][:2] in ("11", "12", "31", "50") or row["code"][2:4] == "90"


def test_grouping_codes_that_are_not_units_are_absent():
    for code in ["110100", "500200", "419000", "469000", "659000", "133100", "320576"]:
        assert not is_known_region(code)


def test_an_unknown_code_raises_a_clear_error():
    with pytest.raises(UnknownRegionError) as error:
        get_region("369999")
    assert isinstance(error.value, RegionError)
    assert error.value.code == "region_unknown"
    assert error.value.region_code == "369999"
    assert "369999" in error.value.zh and "369999" in error.value.en


@pytest.mark.parametrize("bad", ["36010", "3601020", "36O102", " 360102", "", None, 360102,
                                 "３６０１０２"])
def test_a_malformed_code_raises_and_is_not_known(bad):
    with pytest.raises(MalformedRegionCodeError) as error:
        get_region(bad)
    assert error.value.code == "region_format"
    assert not is_known_region(bad)


def test_province_and_prefecture_of_a_county():
    assert province_of("360102").code == "360000"
    assert prefecture_of("360102").code == "360100"
    assert prefecture_of("360100").code == "360100"
    assert prefecture_of("360000") is None


def test_a_municipality_is_the_city_level_authority_of_its_districts():
    assert prefecture_of("110105").code == "110000"
    assert prefecture_of("500229").code == "500000"  # 城口县, a county of Chongqing
    assert province_of("110105").code == "110000"


def test_a_county_level_city_run_by_its_province_is_its_own_city_level_authority():
    assert get_region("419001").parent_code == "410000"
    assert prefecture_of("419001").code == "419001"
    assert prefecture_of("469002").name == "琼海市"


def test_a_county_missing_from_the_table_still_belongs_to_its_prefecture_and_province():
    assert not is_known_region("360199")
    assert prefecture_of("360199").code == "360100"
    assert province_of("360199").code == "360000"
    assert contains("360100", "360199")
    assert contains("360000", "360199")


def test_no_prefecture_or_province_for_codes_outside_the_table():
    with pytest.raises(UnknownRegionError):
        province_of("990101")
    with pytest.raises(UnknownRegionError):
        prefecture_of("369901")


@pytest.mark.parametrize(
    ("ancestor", "code", "expected"),
    [
        ("360000", "360102", True),
        ("360100", "360102", True),
        ("360102", "360102", True),
        ("360100", "360100", True),
        ("360100", "360000", False),  # a city does not contain its province
        ("360102", "360103", False),  # a district does not contain its neighbour
        ("360100", "360202", False),  # 南昌 does not contain 景德镇's district
        ("360000", "110105", False),
        ("110000", "110105", True),
        ("500000", "500229", True),
        ("410000", "419001", True),
        ("419001", "419001", True),
        ("360000", "369901", True),  # by prefix, even where the prefecture is unknown
    ],
)
def test_contains_scopes_by_code_prefix(ancestor, code, expected):
    assert contains(ancestor, code) is expected


def test_contains_needs_a_known_ancestor_and_a_well_formed_code():
    with pytest.raises(UnknownRegionError):
        contains("369900", "369901")
    with pytest.raises(MalformedRegionCodeError):
        contains("360000", "36")


def test_children_lists_the_regions_directly_below():
    assert [r.name for r in children("360100")] == [
        "东湖区", "西湖区", "青云谱区", "青山湖区", "新建区", "红谷滩区", "南昌县", "安义县", "进贤县",
    ]
    assert all(r.level is RegionLevel.PREFECTURE for r in children("360000"))
    assert len(children("360000")) == 11
    assert children("360102") == ()
    assert len(children("110000")) == 16
    assert len(regions.provinces()) == 34


def test_region_reads_as_name_and_code():
    assert str(get_region("360102")) == "东湖区（360102）"
    assert isinstance(get_region("360102"), Region)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CODES), st.sampled_from(CODES))
def test_contains_agrees_with_the_parent_chain(ancestor, code):
    """Walking up from ``code`` through its parents reaches ``ancestor`` iff it contains it."""
    chain, current = [], get_region(code)
    while current is not None:
        chain.append(current.code)
        current = get_region(current.parent_code) if current.parent_code else None
    assert contains(ancestor, code) is (ancestor in chain)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(CODES))
def test_every_region_lies_in_its_province_and_city_level_authority(code):
    province = province_of(code)
    assert contains(province.code, code)
    authority = prefecture_of(code)
    if authority is not None:
        assert contains(authority.code, code)
        assert contains(province.code, authority.code)
        assert authority.level in (RegionLevel.PREFECTURE, RegionLevel.PROVINCE,
                                   RegionLevel.COUNTY)
