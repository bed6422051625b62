"""Enterprise names: canonical text, the distinctive brand, legal form, city and branch."""

from __future__ import annotations

import re
from dataclasses import dataclass

from huitong.standardise._chinese import HAN_CLASS, has_han, pinyin_syllables
from huitong.standardise.addresses import DISTRICTS
from huitong.standardise.text import clean_text, to_simplified

# Written legal-form suffixes (longest first) and their canonical form.
_LEGAL_FORMS = (
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限公司"),
    ("有限公司", "有限公司"),
    ("(特殊普通合伙)", "合伙企业"),
    ("(普通合伙)", "合伙企业"),
    ("(有限合伙)", "合伙企业"),
    ("合伙企业", "合伙企业"),
    ("个人独资企业", "个人独资企业"),
    ("个体工商户", "个体工商户"),
    ("公司", "公司"),
)
_BRANCH_SUFFIX = re.compile(r"(分公司|分店|营业部|分厂|分行|支行|分部|分社|分所)$")
_PARENT_END = re.compile(r"(公司|合伙\)|合伙企业|独资企业)")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"})

# Prefecture-level cities of Guangdong and the municipalities, as written before a name.
_CITIES = (
    "广州", "深圳", "珠海", "汕头", "佛山", "韶关", "湛江", "肇庆", "江门", "茂名", "惠州", "梅州",
    "汕尾", "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮",
    "北京", "上海", "天津", "重庆", "香港", "澳门",
)  # fmt: skip
_PROVINCE_PREFIX = re.compile(r"^(?:中国)?(?:广东省|广东)")
# Only 广州 is stripped without its 市: 中山大学…, 北京路… start many names that are no city's.
_CITY_PREFIX = re.compile(rf"^(?:(广州)市?|({'|'.join(_CITIES)})市)")
_DISTRICT_PREFIX = re.compile(rf"^(?:{'|'.join(DISTRICTS)})区")
_REGION_NOTE = re.compile(rf"\((?:中国|广东省?|({'|'.join(_CITIES)})市?)\)")
_SPACE_NEAR_HAN = re.compile(rf"\s+(?=[{HAN_CLASS}()])|(?<=[{HAN_CLASS}()])\s+")

_LATIN_LEGAL_FORMS = (
    (r"co\.?,?\s*ltd\.?", "有限公司"),
    (r"company\s+limited", "有限公司"),
    (r"limited", "有限公司"),
    (r"ltd\.?", "有限公司"),
    (r"l\.?l\.?c\.?", "有限公司"),
    (r"inc\.?", "公司"),
    (r"incorporated", "公司"),
    (r"corp\.?", "公司"),
    (r"corporation", "公司"),
    (r"company", "公司"),
    (r"co\.?", "公司"),
)
_LATIN_BRANCH = re.compile(r"[\s,]*(?:\(([^)]*?)\s*branch\)|([^()]*?)\s*\bbranch)\s*$", re.I)
_LATIN_CITY = re.compile(r"^guangzhou\b|\(\s*guangzhou\s*\)", re.I)


# Industry or business words that follow the trade name (字号) in a name made the regulated way:
# 行政区划 + 字号 + 行业 + 组织形式 (广州 + 恒通 + 贸易 + 有限公司). Longest first.
_INDUSTRIES = tuple(
    sorted(
        """
        贸易 商贸 国际贸易 进出口 实业 实业发展 发展 投资 投资管理 投资咨询 资产管理 控股 集团
        科技 网络科技 信息科技 信息技术 电子科技 生物科技 智能科技 软件 网络 信息 电子 通信 电器
        数码 技术服务 咨询 管理咨询 企业管理 企业管理咨询 商务咨询 文化传播 文化传媒 传媒 广告
        文化 教育 教育科技 培训 体育 旅游 旅行社 酒店 酒店管理 餐饮 餐饮管理 饮食 食品 农业
        水产 医药 药业 医疗器械 医疗 健康管理 生物 化工 新材料 材料 塑料 五金 机械 机电 设备
        机械设备 电气 自动化 环保 环保科技 环境 能源 新能源 建筑 建筑工程 建设 工程 装饰 装饰工程
        装饰设计 建材 房地产 房地产开发 置业 物业 物业管理 园林 园林绿化 家政 家政服务 保洁 清洁
        服务 人力资源 劳务 物流 供应链 供应链管理 货运 运输 快递 汽车 汽车服务 汽车销售 汽配 服装
        服饰 纺织 皮具 鞋业 珠宝 化妆品 日用品 百货 超市 家具 家居 印刷 包装 设计 工艺品 美容
        美发 摄影 影视 娱乐 金融 融资租赁 保险代理 典当 担保 租赁 展览 会展 电子商务 连锁
        """.split(),  # noqa: SIM905 - a word list reads better as words
        key=len,
        reverse=True,
    )
)


@dataclass(frozen=True)
class EnterpriseName:
    """An enterprise name in canonical form and the parts used to compare enterprises.

    ``brand`` is the distinctive part (恒通贸易) without city prefix or legal form, so that
    广州市恒通贸易有限公司, 恒通贸易（广州）有限公司 and 广州恒通贸易有限责任公司 share it.
    A branch (…分公司) keeps its parent's brand but has ``is_branch`` set: it is a
    different legal entity.
    """

    text: str
    brand: str
    legal_form: str | None
    city: str | None
    is_branch: bool
    branch_name: str | None
    key: str
    trade_name: str | None = None
    """The brand without its industry words (恒通贸易 → 恒通), as an abbreviation writes it
    (广州恒通); the brand itself when no industry word follows it."""


def standardise_enterprise_name(raw: str | None) -> EnterpriseName | None:
    """Standardise one enterprise name; None when ``raw`` is empty. Never raises.

    Chinese names: simplified, full-width brackets as ASCII "()", spaces next to Han
    characters removed; the city/province prefix or parenthetical (广州市, (广州), 广东省) and
    the legal form (有限公司, 有限责任公司 → 有限公司, 股份有限公司, 合伙企业 …) are split off
    to leave the brand. Romanised names ("Hengtong Trading Co., Ltd.") lose their suffix
    (Co., Ltd., Limited, LLC, Inc, Company …) into ``legal_form`` and get a lowercase brand.
    """
    text = clean_text(raw)
    if text is None:
        return None
    text = to_simplified(text).translate(_BRACKETS)
    if has_han(text):
        return _chinese_name(_SPACE_NEAR_HAN.sub("", text))
    return _latin_name(text)


def _chinese_name(text: str) -> EnterpriseName:
    parent, is_branch, branch_name = _split_branch(text)
    city = None
    if note := _REGION_NOTE.search(parent):
        city = note[1]
    rest = _REGION_NOTE.sub("", parent)
    legal_form = None
    for written, canonical in _LEGAL_FORMS:
        if rest.endswith(written):
            if len(rest) > len(written):
                rest, legal_form = rest[: -len(written)], canonical
            break
    rest = _PROVINCE_PREFIX.sub("", rest)
    if prefix := _CITY_PREFIX.match(rest):
        city = city or prefix[1] or prefix[2]
        if len(rest) > prefix.end():
            rest = rest[prefix.end() :]
    if (district := _DISTRICT_PREFIX.match(rest)) and len(rest) > district.end():
        rest = rest[district.end() :]
    brand = rest or parent
    return EnterpriseName(
        text=text,
        brand=brand,
        legal_form=legal_form,
        city=city,
        is_branch=is_branch,
        branch_name=branch_name,
        key="".join(pinyin_syllables(brand)),
        trade_name=trade_name(brand),
    )


def trade_name(brand: str) -> str:
    """The trade name (字号) of a Chinese brand: the brand without trailing industry words
    (恒通贸易 → 恒通, 达晟网络科技 → 达晟); at least two characters are kept."""
    rest = brand
    while True:
        word = next((w for w in _INDUSTRIES if rest.endswith(w) and len(rest) - len(w) >= 2), None)
        if word is None:
            return rest
        rest = rest[: -len(word)]


def _split_branch(text: str) -> tuple[str, bool, str | None]:
    """(parent name, is_branch, branch name) of a Chinese enterprise name."""
    note = re.search(r"\(([^()]*?)(分公司|分店|营业部|分厂|分行|支行|分部)\)$", text)
    if note:
        return text[: note.start()], True, note[1] or None
    suffix = _BRANCH_SUFFIX.search(text)
    if suffix is None or suffix.start() == 0:
        return text, False, None
    head = text[: suffix.start()]
    ends = list(_PARENT_END.finditer(head))
    if not ends or ends[-1].end() == len(head):
        return head if ends else text, True, None
    cut = ends[-1].end()
    return head[:cut], True, head[cut:]


def _latin_name(text: str) -> EnterpriseName:
    rest = text
    is_branch, branch_name, in_brackets = False, None, None
    if branch := _LATIN_BRANCH.search(rest):
        is_branch = True
        in_brackets = (branch[1] or "").strip(" ,") or None
        rest = rest[: branch.start()] + " " + (branch[2] or "")
    legal_form = None
    for pattern, canonical in _LATIN_LEGAL_FORMS:
        found = list(re.finditer(rf"[\s,]+{pattern}(?=[\s,]|$)", rest, re.I))
        if found:
            legal_form = canonical
            branch_name = rest[found[-1].end() :].strip(" ,") or None
            rest = rest[: found[-1].start()]
            break
    branch_name = (in_brackets or branch_name) if is_branch else None
    city = "广州" if _LATIN_CITY.search(rest) else None
    stripped = _LATIN_CITY.sub(" ", rest)
    brand = " ".join(re.sub(r"[^\w&]+", " ", stripped.lower()).split())
    brand = brand or " ".join(text.lower().split())
    key = "".join(c for c in brand if c.isascii() and c.isalnum())
    return EnterpriseName(text, brand, legal_form, city, is_branch, branch_name, key, brand)
