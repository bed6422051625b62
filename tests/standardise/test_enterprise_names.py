import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.enterprise_names import EnterpriseName, standardise_enterprise_name


@pytest.mark.parametrize(
    "raw",
    [
        "广州市恒通贸易有限公司",
        "恒通贸易（广州）有限公司",
        "恒通贸易(广州)有限公司",
        "广州恒通贸易有限责任公司",
        "廣州市恆通貿易有限公司",
        "广州市 恒通贸易 有限公司",
        "广东省广州市恒通贸易有限公司",
        "恒通（广州）贸易有限公司",
    ],
)
def test_city_and_legal_form_variants_share_brand_and_key(raw):
    name = standardise_enterprise_name(raw)
    assert name.brand == "恒通贸易"
    assert name.key == "hengtongmaoyi"
    assert name.legal_form == "有限公司"
    assert name.city == "广州"
    assert not name.is_branch


def test_canonical_text():
    name = standardise_enterprise_name("恒通贸易（广州）有限公司")
    assert name == EnterpriseName(
        text="恒通贸易(广州)有限公司",
        brand="恒通贸易",
        legal_form="有限公司",
        city="广州",
        is_branch=False,
        branch_name=None,
        key="hengtongmaoyi",
        trade_name="恒通",
    )


@pytest.mark.parametrize(
    ("raw", "trade"),
    [
        ("广州卓润", "卓润"),  # an abbreviation: the trade name alone
        ("广州卓润贸易有限公司", "卓润"),
        ("广州市达晟网络科技有限公司", "达晟"),
        ("广州市城卓家政服务有限公司", "城卓"),
        ("广州市发展贸易有限公司", "发展"),  # two characters are always kept
        ("Hengtong Trading Co., Ltd.", "hengtong trading"),
    ],
)
def test_trade_name_is_the_brand_without_industry_words(raw, trade):
    assert standardise_enterprise_name(raw).trade_name == trade


def test_no_city_prefix():
    name = standardise_enterprise_name("恒通贸易有限公司")
    assert (name.brand, name.city) == ("恒通贸易", None)


@pytest.mark.parametrize(
    ("raw", "legal_form"),
    [
        ("广州市恒通贸易股份有限公司", "股份有限公司"),
        ("恒通会计师事务所(特殊普通合伙)", "合伙企业"),
        ("恒通投资合伙企业(有限合伙)", "合伙企业"),
        ("恒通五金个人独资企业", "个人独资企业"),
        ("恒通贸易公司", "公司"),
        ("恒通五金店", None),
    ],
)
def test_legal_forms(raw, legal_form):
    assert standardise_enterprise_name(raw).legal_form == legal_form


def test_district_after_city_is_part_of_the_prefix():
    name = standardise_enterprise_name("广州市越秀区恒通五金店")
    assert (name.brand, name.city) == ("恒通五金店", "广州")


@pytest.mark.parametrize(
    ("raw", "branch_name"),
    [
        ("广州市恒通贸易有限公司天河分公司", "天河"),
        ("广州市恒通贸易有限公司（天河分公司）", "天河"),
        ("恒通贸易有限公司广州营业部", "广州"),
        ("恒通贸易有限公司番禺分厂", "番禺"),
        ("恒通贸易(北京路分店)", "北京路"),
    ],
)
def test_branches_keep_the_parent_brand(raw, branch_name):
    name = standardise_enterprise_name(raw)
    assert name.is_branch
    assert name.branch_name == branch_name
    assert name.brand == "恒通贸易"


def test_branch_and_parent_differ_only_in_branch_fields():
    parent = standardise_enterprise_name("广州市恒通贸易有限公司")
    branch = standardise_enterprise_name("广州市恒通贸易有限公司天河分公司")
    assert (branch.brand, branch.key, branch.legal_form) == (
        parent.brand,
        parent.key,
        parent.legal_form,
    )
    assert branch.is_branch and not parent.is_branch


@pytest.mark.parametrize(
    ("raw", "legal_form"),
    [
        ("Hengtong Trading Co., Ltd.", "有限公司"),
        ("HENGTONG TRADING CO LTD", "有限公司"),
        ("Hengtong Trading Company Limited", "有限公司"),
        ("Hengtong Trading Limited", "有限公司"),
        ("Hengtong Trading LLC", "有限公司"),
        ("Hengtong Trading Inc.", "公司"),
        ("Hengtong Trading Company", "公司"),
        ("Guangzhou Hengtong Trading Co., Ltd.", "有限公司"),
    ],
)
def test_romanised_names(raw, legal_form):
    name = standardise_enterprise_name(raw)
    assert name.brand == "hengtong trading"
    assert name.key == "hengtongtrading"
    assert name.legal_form == legal_form
    assert name.text == raw


def test_romanised_branch():
    name = standardise_enterprise_name("Hengtong Trading Co., Ltd. Tianhe Branch")
    assert (name.brand, name.is_branch, name.branch_name) == ("hengtong trading", True, "Tianhe")


def test_brand_is_never_empty():
    assert standardise_enterprise_name("有限公司").brand == "有限公司"
    assert standardise_enterprise_name("广州市").brand == "广州市"


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty_gives_none(raw):
    assert standardise_enterprise_name(raw) is None


@given(st.text(max_size=30))
def test_never_raises_and_brand_is_set(raw):
    name = standardise_enterprise_name(raw)
    if name is not None:
        assert name.brand
        assert " " not in name.key


BRANDS = st.text(
    alphabet="恒通宏达兴盛华美佳新锦泰贸易科技餐饮服装物流电子", min_size=2, max_size=6
)


@given(BRANDS, st.sampled_from(["有限公司", "有限责任公司"]))
def test_city_prefix_forms_agree(brand, suffix):
    forms = [f"广州市{brand}{suffix}", f"广州{brand}{suffix}", f"{brand}（广州）{suffix}"]
    names = [standardise_enterprise_name(form) for form in forms]
    assert {(n.brand, n.key, n.legal_form, n.city) for n in names} == {
        (brand, names[0].key, "有限公司", "广州")
    }
