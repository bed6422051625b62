"""Names: surnames with a Guangzhou-like frequency, given names by generation, romanisation.

Common given names are drawn from short, heavily weighted lists (so 陈伟, 王芳, 张伟 belong to many
different people); the rest are composed from character pools. Foreigners get passport-style
Latin names. Romanisation follows passports: surname and given name in upper case, the given
name's syllables joined (``CHEN WEIMING``), heteronym surnames read as surnames (曾 ZENG, 区 OU,
单 SHAN, 解 XIE, 朴 PIAO).
"""

from __future__ import annotations

import random
from bisect import bisect
from functools import cache
from itertools import accumulate
from typing import NamedTuple

# (surname, passport romanisation, weight per ten thousand)
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("陈", "CHEN", 880), ("李", "LI", 620), ("黄", "HUANG", 560), ("张", "ZHANG", 460),
    ("王", "WANG", 420), ("刘", "LIU", 390), ("梁", "LIANG", 320), ("林", "LIN", 300),
    ("何", "HE", 250), ("杨", "YANG", 240), ("吴", "WU", 220), ("罗", "LUO", 200),
    ("郭", "GUO", 160), ("周", "ZHOU", 160), ("邓", "DENG", 160), ("冯", "FENG", 150),
    ("谢", "XIE", 140), ("赵", "ZHAO", 140), ("叶", "YE", 130), ("曾", "ZENG", 130),
    ("麦", "MAI", 110), ("朱", "ZHU", 110), ("徐", "XU", 110), ("钟", "ZHONG", 110),
    ("郑", "ZHENG", 110), ("胡", "HU", 100), ("卢", "LU", 100), ("苏", "SU", 100),
    ("谭", "TAN", 100), ("潘", "PAN", 90), ("彭", "PENG", 80), ("肖", "XIAO", 80),
    ("蔡", "CAI", 80), ("关", "GUAN", 80), ("廖", "LIAO", 80), ("孙", "SUN", 80),
    ("陆", "LU", 70), ("马", "MA", 70), ("高", "GAO", 70), ("余", "YU", 70), ("许", "XU", 70),
    ("邱", "QIU", 60), ("袁", "YUAN", 60), ("莫", "MO", 60), ("唐", "TANG", 60),
    ("韩", "HAN", 50), ("宋", "SONG", 50), ("方", "FANG", 50), ("温", "WEN", 50),
    ("江", "JIANG", 50), ("曹", "CAO", 50), ("冼", "XIAN", 45), ("区", "OU", 45),
    ("杜", "DU", 40), ("丁", "DING", 40), ("严", "YAN", 40), ("姚", "YAO", 40),
    ("邹", "ZOU", 40), ("伍", "WU", 40), ("汤", "TANG", 30), ("古", "GU", 30),
    ("容", "RONG", 30), ("岑", "CEN", 30), ("甘", "GAN", 30), ("侯", "HOU", 30),
    ("程", "CHENG", 30), ("田", "TIAN", 30), ("魏", "WEI", 30), ("龙", "LONG", 30),
    ("石", "SHI", 30), ("范", "FAN", 30), ("韦", "WEI", 30), ("覃", "QIN", 30),
    ("戴", "DAI", 30), ("文", "WEN", 30), ("傅", "FU", 30), ("沈", "SHEN", 30),
    ("董", "DONG", 30), ("于", "YU", 30), ("蒋", "JIANG", 30), ("植", "ZHI", 20),
    ("简", "JIAN", 20), ("毛", "MAO", 20), ("贺", "HE", 20), ("崔", "CUI", 20),
    ("金", "JIN", 20), ("孔", "KONG", 20), ("白", "BAI", 20), ("邵", "SHAO", 20),
    ("任", "REN", 20), ("吕", "LYU", 20), ("黎", "LI", 40), ("劳", "LAO", 15),
    ("欧阳", "OUYANG", 10), ("司徒", "SITU", 10), ("上官", "SHANGGUAN", 2),
    ("诸葛", "ZHUGE", 1), ("司马", "SIMA", 2),
    ("单", "SHAN", 5), ("解", "XIE", 4), ("朴", "PIAO", 3), ("仇", "QIU", 3), ("查", "ZHA", 3),
)  # fmt: skip

COMPOUND_SURNAMES = frozenset(s for s, _, _ in SURNAMES if len(s) == 2)
SURNAME_PINYIN = {s: p for s, p, _ in SURNAMES}
VARIANT_SURNAMES = {"肖": "萧", "钟": "锺", "于": "於", "萧": "肖", "锺": "钟"}

# given names by generation and gender: (era upper bound on birth year, male, female)
COMMON_GIVEN_NAMES: tuple[tuple[int, str, str], ...] = (
    (
        1965,
        "国强 建国 建华 志明 国华 伟明 振华 德明 国平 卫东 建军 国梁 志强 永明 金水 炳辉 锦泉 汉明 "
        "耀明 国雄 明 华 强 军 平 刚 勇 辉 伟",
        "秀英 桂英 玉兰 秀兰 桂芳 淑珍 凤英 玉珍 丽华 美玲 少芳 惠芳 瑞芳 秀珍 桂兰 丽珍 翠英 月娥 "
        "燕芳 淑芬 芳 英 兰 珍 霞 华 红 萍",
    ),
    (
        1990,
        "伟 强 磊 军 勇 杰 涛 斌 明 辉 鹏 华 峰 健 俊 志强 伟明 俊杰 建华 志华 文杰 永强 国伟 "
        "晓东 海涛 家明 伟强 振宇 锦辉 文辉 嘉俊 志伟 敏聪",
        "芳 娜 敏 静 丽 艳 娟 霞 玲 婷 燕 红 慧 洁 琳 颖 丽娟 晓燕 晓红 丽丽 少玲 婉玲 嘉欣 凤仪 "
        "秀琼 海燕 晓丽 美华 惠玲 雪梅",
    ),
    (
        2010,
        "浩 宇 杰 鑫 凯 俊 帅 鹏 伟 子豪 浩然 俊杰 宇航 家豪 梓豪 俊熙 志豪 子健 嘉诚 文轩 泽宇 "
        "伟杰 晓峰 智勇 锦涛 嘉乐",
        "婷 雪 琳 欣 颖 倩 芳 欣怡 嘉欣 雨欣 佳琪 晓琳 诗琪 梓晴 嘉怡 雅婷 佩珊 思敏 婉婷 晓彤 "
        "雪莹 慧敏 丽莎 咏诗",
    ),
    (
        9999,
        "子轩 梓轩 浩宇 宇轩 俊熙 梓豪 浩然 睿 皓轩 宇航 子睿 一鸣 铭轩 晨曦 梓睿 俊宇 沐阳 博文 "
        "奕辰 子墨",
        "梓涵 子涵 诗涵 欣怡 雨涵 一诺 梓晴 可馨 语桐 思彤 雨桐 芷晴 梓琪 欣妍 若曦 诗琪 紫萱 "
        "梓萱 佳怡 可欣",
    ),
)
MALE_CHARS = (
    "伟明华强军平刚勇辉杰涛斌峰健俊志建国海东文宇浩鹏飞凯超磊龙锦荣祥德振家嘉永耀炳汉达宏智晓泽"
    "子梓睿轩铭晨博一卫兆柏启信维坤"
)
FEMALE_CHARS = (
    "芳丽敏静婷玲燕红霞娟艳慧洁琳颖雪秀英兰珍萍玉梅凤佩婉嘉欣怡雅思诗晓雨梓涵彤琪萱妍馨悦薇倩莹"
    "月美淑惠翠少咏静宝瑜"
)

HOMOPHONE_GROUPS = (
    "伟玮炜纬", "丽莉俐", "明铭鸣", "敏珉", "静婧靖", "婷庭亭", "华骅桦", "杰洁婕", "军均君",
    "俊骏峻", "芳方", "玲铃苓", "燕艳妍", "红虹鸿宏", "娟鹃", "建健剑", "志智治", "辉晖",
    "慧惠蕙", "涛韬", "斌彬滨", "峰锋丰枫", "欣馨昕鑫", "怡宜仪", "嘉佳家", "浩皓昊",
    "宇雨禹羽", "轩萱宣", "涵晗", "梓子紫", "晨辰宸", "颖莹盈", "平萍苹", "玉钰", "兰岚澜",
    "梅玫", "文雯", "永勇咏", "东冬栋", "凯恺楷", "鹏朋", "磊蕾", "飞菲", "彤桐童", "琪琦淇祺",
    "楠南", "霖林琳", "锦瑾", "雅娅", "思斯", "睿锐瑞", "珍真", "英瑛",
)  # fmt: skip
HOMOPHONES = {c: group.replace(c, "") for group in HOMOPHONE_GROUPS for c in group}

TRADITIONAL = dict(
    zip(
        "陈黄张刘杨赵吴郑谢罗邓冯叶钟苏卢谭许邹汤韩孙马区关陆龙伟华强军刚辉杰涛国东鹏飞荣晓泽轩铭"
        "丽静红艳洁颖凤诗悦莹兰锦达汉凯云严贺范韦蒋吕麦欧阳诸单盖温紫馨宝宏维启兆卫娅瑞鸿",
        "陳黃張劉楊趙吳鄭謝羅鄧馮葉鍾蘇盧譚許鄒湯韓孫馬區關陸龍偉華強軍剛輝傑濤國東鵬飛榮曉澤軒銘"
        "麗靜紅艷潔穎鳳詩悅瑩蘭錦達漢凱雲嚴賀範韋蔣呂麥歐陽諸單蓋溫紫馨寶宏維啟兆衛婭瑞鴻",
        strict=True,
    )
)

FOREIGN_NAMES: dict[str, tuple[str, str, str]] = {
    # nationality: (surnames, male given names, female given names)
    "USA": ("SMITH JOHNSON BROWN MILLER DAVIS GARCIA WILSON TAYLOR ANDERSON MOORE",
            "JOHN MICHAEL DAVID JAMES ROBERT DANIEL", "EMILY SARAH JESSICA ANNA LAURA"),
    "GBR": ("SMITH JONES WILLIAMS TAYLOR DAVIES EVANS THOMAS WALKER",
            "OLIVER GEORGE HARRY JACK THOMAS", "OLIVIA AMELIA EMMA CHARLOTTE SOPHIE"),
    "CAN": ("TREMBLAY GAGNON ROY MARTIN CAMPBELL", "LIAM NOAH ETHAN", "CHLOE EMMA ZOE"),
    "AUS": ("SMITH JONES WILLIAMS BROWN NGUYEN", "JACK WILLIAM LUCAS", "MIA ISLA GRACE"),
    "KOR": ("KIM LEE PARK CHOI JUNG KANG YOON", "MINJUN JIHO DOYUN SEOJUN", "SEOYEON HAEUN JIWOO"),
    "JPN": ("SATO SUZUKI TAKAHASHI TANAKA WATANABE ITO", "HIROSHI KENTA HARUTO", "YUKI AYA SAKURA"),
    "NGA": ("OKAFOR ADEYEMI OKONKWO EZE BELLO OJO", "CHINEDU EMEKA TUNDE", "NGOZI AMAKA CHIOMA"),
    "RUS": ("IVANOV PETROV SMIRNOV VOLKOV POPOV", "DMITRY ALEXEI SERGEI", "OLGA NATALIA IRINA"),
    "FRA": ("DUBOIS MARTIN BERNARD MOREAU LAURENT", "PIERRE LUCAS HUGO", "SOPHIE MARIE CAMILLE"),
    "DEU": ("MULLER SCHMIDT SCHNEIDER FISCHER WEBER", "LUKAS FELIX JONAS", "LENA MARIE HANNA"),
    "IND": ("SHARMA PATEL SINGH KUMAR GUPTA", "ARJUN RAHUL VIKRAM", "PRIYA ANANYA DIVYA"),
}  # fmt: skip
NATIONALITY_WEIGHTS = {
    "USA": 14, "GBR": 8, "CAN": 6, "AUS": 5, "KOR": 16, "JPN": 12, "NGA": 12, "RUS": 8,
    "FRA": 6, "DEU": 6, "IND": 7,
}  # fmt: skip


class NameParts(NamedTuple):
    """A written name: surname, given name and what separates them in a one-column field."""

    surname: str
    given: str
    separator: str = ""

    def full(self) -> str:
        return f"{self.surname}{self.separator}{self.given}"


class NameSampler:
    """Draws surnames and given names with the city's frequencies (one per call, seeded rng)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._surnames = [s for s, _, _ in SURNAMES]
        self._surname_cum = list(accumulate(w for _, _, w in SURNAMES))
        self._common: list[tuple[int, list[str], list[float], list[str], list[float]]] = []
        for upper, male, female in COMMON_GIVEN_NAMES:
            males, females = male.split(), female.split()
            self._common.append(
                (upper, males, _zipf_cum(len(males)), females, _zipf_cum(len(females)))
            )

    def surname(self) -> str:
        point = self.rng.random() * self._surname_cum[-1]
        return self._surnames[bisect(self._surname_cum, point)]

    def given(self, male: bool, birth_year: int) -> str:
        rng = self.rng
        if rng.random() < 0.55:
            for upper, males, male_cum, females, female_cum in self._common:
                if birth_year < upper:
                    names, cum = (males, male_cum) if male else (females, female_cum)
                    return names[bisect(cum, rng.random() * cum[-1])]
        pool = MALE_CHARS if male else FEMALE_CHARS
        if rng.random() < 0.15:
            return rng.choice(pool)
        return rng.choice(pool) + rng.choice(pool)

    def foreign(self, nationality: str, male: bool) -> tuple[str, str]:
        surnames, males, females = FOREIGN_NAMES[nationality]
        given = self.rng.choice((males if male else females).split())
        return self.rng.choice(surnames.split()), given

    def nationality(self) -> str:
        codes = list(NATIONALITY_WEIGHTS)
        return self.rng.choices(codes, weights=[NATIONALITY_WEIGHTS[c] for c in codes])[0]


def _zipf_cum(n: int) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(n)))


@cache
def romanise_given(given: str) -> str:
    """Passport romanisation of a Chinese given name: syllables joined, upper case."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(given)).replace("v", "yu").upper()


def romanise(surname: str, given: str) -> NameParts:
    """Passport romanisation of a Chinese name, ``CHEN`` / ``WEIMING``."""
    return NameParts(SURNAME_PINYIN.get(surname) or romanise_given(surname), romanise_given(given))
