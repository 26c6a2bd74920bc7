"""Reference data: the 国籍 list in the order a clerk looks for a name, by pinyin, 中国 first."""

from registration.reference import (
    NATIONALITY_CHOICES,
    household_address_start,
    pinyin_sort_key,
    region_codes_of,
    region_place,
)

NAMES = [name for _, name in NATIONALITY_CHOICES]


def test_the_nationalities_are_in_pinyin_order_after_china():
    assert NAMES[0] == "中国"
    assert NAMES[1:4] == ["阿尔巴尼亚", "阿尔及利亚", "阿富汗"]  # a1 er3 ba1, a1 er3 ji2, a1 fu4
    assert NAMES[1:] == sorted(NAMES[1:], key=pinyin_sort_key)
    assert NAMES[-1] == "中非共和国"  # zhong1 fei1: last, where code-point order put it third


def test_heteronyms_are_read_as_in_the_country_names():
    # 朝鲜 chao2 (not zhao1), 乍得 zha4, 重 none; 阿 a1 (not e1) in every 阿… name.
    assert NAMES.index("布隆迪") < NAMES.index("朝鲜") < NAMES.index("赤道几内亚") < NAMES.index("丹麦")
    assert NAMES.index("赞比亚") < NAMES.index("乍得") < NAMES.index("智利")
    assert all(NAMES.index(name) < NAMES.index("埃及") for name in NAMES if name.startswith("阿"))


def test_the_key_orders_letters_before_tones_then_characters():
    assert (
        pinyin_sort_key("阿富汗")
        < pinyin_sort_key("埃及")
        < pinyin_sort_key("爱尔兰")
        < pinyin_sort_key("安道尔")
    )
    assert pinyin_sort_key("马耳他") < pinyin_sort_key("马里")  # ma3 er3 before ma3 li3, syllable by syllable
    assert NAMES.index("马耳他") < NAMES.index("马里")


def test_region_place_names_the_province_city_and_county_of_a_region_code():
    assert str(region_place("440106")) == "广东省广州市天河区"
    assert str(region_place("450103")) == "广西壮族自治区南宁市青秀区"
    assert str(region_place("500101")) == "重庆市万州区"  # a municipality: no city between
    assert str(region_place("469001")) == "海南省五指山市"  # a directly administered county
    assert str(region_place("110103")) == "北京市原崇文区"  # retired in 2010
    assert region_place("999999") is None and region_place("44a106") is None


def test_the_household_address_starts_from_the_communitys_full_name_without_its_committee():
    start = household_address_start
    assert (
        start("450103001001", "南宁市 青秀区 新竹街道 新竹社区居委会")
        == "广西壮族自治区南宁市青秀区新竹街道新竹社区"
    )
    assert (
        start("450110101201", "南宁市 武鸣区 城厢镇 那白村委会") == "广西壮族自治区南宁市武鸣区城厢镇那白村"
    )
    assert (
        start("450110101201", "南宁市 武鸣区 城厢镇 那白村村委会") == "广西壮族自治区南宁市武鸣区城厢镇那白村"
    )
    assert (
        start("450110101202", "南宁市 武鸣区 城厢镇 东风村民委员会")
        == "广西壮族自治区南宁市武鸣区城厢镇东风村"
    )
    assert (
        start("450305001001", "桂林市 七星区 某街道 茶场社区居民委员会")
        == "广西壮族自治区桂林市七星区某街道茶场社区"
    )


def test_a_countys_region_codes_include_the_former_ones():
    assert region_codes_of("450181001001") == ("450181", "450127", "452122")  # 横州市, once 横县
    assert region_codes_of("450103001001") == ("450103",)


def test_the_nationalities_are_cldr_names_with_china_first_and_no_region_as_a_nationality():
    names = dict(NATIONALITY_CHOICES)

    assert NATIONALITY_CHOICES[0] == ("CHN", "中国")
    assert (names["KHM"], names["KGZ"], names["MLT"], names["GTM"]) == (
        "柬埔寨",
        "吉尔吉斯斯坦",
        "马耳他",
        "危地马拉",
    )
    assert not {"TWN", "HKG", "MAC"} & set(names)
    assert len(names) == 246
