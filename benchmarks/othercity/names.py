"""Chinese personal names of the other city: surnames, given names, and their writings.

Frequencies are this generator's own guess at a Guangzhou population (陈, 李, 黄 lead; many
Cantonese surnames such as 梁, 麦, 区, 邝; migrants bring 覃, 韦 from Guangxi). Given names
follow three eras of naming fashion and a Zipf-like skew, so very common full names (陈伟,
李娜, 王芳) are shared by many different people.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# surname: weight. Compound surnames are kept whole.
SURNAMES = {
    "陈": 10.0,
    "李": 7.0,
    "黄": 6.5,
    "张": 5.0,
    "梁": 4.2,
    "刘": 4.0,
    "林": 4.0,
    "何": 3.0,
    "罗": 2.6,
    "吴": 2.5,
    "王": 2.5,
    "郑": 2.2,
    "谢": 2.0,
    "杨": 2.0,
    "冯": 1.8,
    "邓": 1.8,
    "曾": 1.6,
    "朱": 1.5,
    "周": 1.5,
    "许": 1.4,
    "蔡": 1.3,
    "叶": 1.3,
    "苏": 1.2,
    "卢": 1.2,
    "潘": 1.2,
    "钟": 1.1,
    "余": 1.1,
    "彭": 1.0,
    "赖": 1.0,
    "邱": 1.0,
    "肖": 0.9,
    "杜": 0.8,
    "胡": 0.9,
    "温": 0.7,
    "郭": 0.9,
    "江": 0.7,
    "谭": 0.9,
    "方": 0.7,
    "孔": 0.4,
    "麦": 0.6,
    "莫": 0.6,
    "黎": 0.7,
    "区": 0.3,
    "关": 0.6,
    "汤": 0.4,
    "严": 0.4,
    "袁": 0.6,
    "徐": 0.8,
    "孙": 0.6,
    "马": 0.6,
    "高": 0.6,
    "唐": 0.6,
    "韩": 0.4,
    "曹": 0.4,
    "邹": 0.4,
    "陆": 0.4,
    "廖": 0.8,
    "邝": 0.3,
    "岑": 0.3,
    "甘": 0.3,
    "龙": 0.3,
    "萧": 0.2,
    "于": 0.2,
    "欧阳": 0.25,
    "司徒": 0.2,
    "上官": 0.03,
    "诸葛": 0.02,
    "司马": 0.03,
    "欧": 0.2,
    "霍": 0.2,
    "简": 0.2,
    "伍": 0.4,
    "巫": 0.1,
    "柯": 0.2,
    "范": 0.3,
    "程": 0.3,
    "姚": 0.4,
    "傅": 0.3,
    "戴": 0.3,
    "宋": 0.4,
    "丘": 0.1,
    "阮": 0.2,
    "洪": 0.3,
    "侯": 0.2,
    "凌": 0.2,
    "翁": 0.2,
    "钱": 0.2,
    "任": 0.2,
    "魏": 0.3,
    "覃": 0.3,
    "韦": 0.3,
    "文": 0.2,
    "雷": 0.2,
    "易": 0.2,
    "向": 0.1,
    "吕": 0.3,
    "聂": 0.1,
    "骆": 0.2,
}

# Given names by sex and naming era; order is popularity (Zipf weights are applied).
GIVEN = {
    ("M", "old"): (
        "伟 强 明 华 平 军 建国 国强 建华 志强 国华 德明 永明 振华 志明 伟明 国平 汉明 锦泉 "
        "炳坤 耀祖 润生 桂林 金水 树根 家明 炳辉 国雄 志雄 伟雄 荣 刚 辉 东 文 坚 耀明 "
        "永强 国良 锦华 少华 汉文 绍基 德华 启明 广才 日新 伯文"
    ),
    ("M", "mid"): (
        "伟 强 磊 军 勇 杰 涛 斌 超 明 辉 鹏 华 峰 浩 亮 俊 波 健 志强 伟强 俊杰 家豪 建伟 "
        "文杰 晓东 海涛 志伟 嘉伟 永强 国伟 卫东 晓明 伟东 志勇 伟健 振宇 子健 锋 彬 龙 飞 "
        "威 凯 宇 翔 文华 俊豪 家伟 嘉明 国栋 志军 伟峰 海波 剑锋 永华"
    ),
    ("M", "young"): (
        "子轩 浩然 宇轩 梓轩 俊熙 浩宇 子豪 嘉豪 梓豪 宇航 皓轩 铭轩 子墨 一鸣 睿 浩 俊杰 "
        "梓睿 思远 家乐 嘉乐 子骏 博文 天佑 锦程 俊宇 俊豪 泽宇 晨曦 宇 杰 轩 铭 梓航 子健 "
        "嘉俊 乐天 浩轩 卓凡 梓晨 俊彦 家俊 文轩"
    ),
    ("F", "old"): (
        "秀英 桂英 秀兰 玉兰 桂芳 淑珍 凤英 玉珍 秀珍 丽华 美玲 少芳 惠芳 丽娟 玉梅 金凤 "
        "月娥 瑞芳 丽珍 佩玲 淑芬 美华 芳 英 梅 兰 珍 华 凤 琴 红 萍 玉 丽 燕 霞 素珍 "
        "惠英 月华 笑梅 彩霞 少玲 翠红 银好"
    ),
    ("F", "mid"): (
        "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 红 萍 洁 琳 颖 慧 莹 欣 雪 倩 晶 梅 丽娟 晓燕 "
        "海燕 美玲 小红 晓敏 丽萍 慧敏 静怡 婉婷 雪梅 晓丽 嘉欣 丽君 秀娟 艳玲 颖欣 凤仪 "
        "晓霞 惠玲 丽芳 少红 翠玲 嘉敏 咏诗 碧霞 绮雯"
    ),
    ("F", "young"): (
        "梓涵 子涵 欣怡 诗涵 雨桐 可馨 紫涵 梓萱 语桐 思彤 嘉怡 芷晴 若汐 一诺 依诺 诗琪 "
        "佳琪 梓琪 心怡 晓彤 雅琪 靖琪 思琪 嘉琪 乐怡 梓晴 芯怡 欣妍 颖 琳 婷 欣 悦 晴 "
        "诗雨 雨欣 思颖 凯琳 嘉欣 佩琪 晓晴 子晴 乐瑶"
    ),
}

# Second characters used when siblings share a generation character (字辈).
GENERATION_SECOND = {
    "M": [
        "明",
        "强",
        "华",
        "伟",
        "杰",
        "豪",
        "辉",
        "涛",
        "锋",
        "文",
        "俊",
        "勇",
        "斌",
        "峰",
        "宇",
        "轩",
        "浩",
        "鹏",
        "龙",
        "荣",
    ],
    "F": [
        "欣",
        "怡",
        "敏",
        "婷",
        "玲",
        "丽",
        "芳",
        "燕",
        "琪",
        "晴",
        "彤",
        "雯",
        "颖",
        "莹",
        "慧",
        "娟",
        "霞",
        "萍",
        "瑶",
        "诗",
    ],
}

# Homophones a clerk may type for a given-name character (one group = interchangeable sound).
HOMOPHONE_GROUPS = [
    "伟玮炜维唯",
    "丽莉俐立",
    "明铭鸣",
    "华骅桦",
    "玲琳铃灵",
    "婷亭庭",
    "静晶菁",
    "斌彬宾",
    "峰锋丰",
    "军君钧",
    "红虹宏鸿",
    "燕艳雁",
    "芳方",
    "敏闵",
    "洁杰",
    "辉晖徽",
    "俊峻骏",
    "娟鹃",
    "霞侠",
    "颖莹盈",
    "磊垒",
    "涛滔",
    "嘉佳家",
    "欣馨心新",
    "怡仪宜",
    "梓子紫",
    "轩萱宣",
    "浩灏皓",
    "宇雨语羽",
    "晨辰臣",
    "思斯",
    "雯文",
    "琪淇祺棋",
    "翔祥",
    "坤昆",
    "凯恺铠",
    "志智",
    "建健剑",
    "秀绣",
    "兰岚澜",
    "英瑛",
    "梅玫",
    "玉钰",
    "萍苹平",
    "荣容蓉",
    "彤桐童",
    "晴清",
    "诗师",
    "涵含",
    "瑶遥",
    "悦月越",
    "汐夕希",
    "妍研",
    "睿瑞锐",
    "程成诚",
    "乐",
    "航杭",
    "熙希曦",
    "鹏朋",
    "豪毫",
    "航行",
]

# Simplified -> traditional for characters used here (records typed in a traditional system).
TRADITIONAL = dict(
    zip(
        "陈黄张刘吴郑谢杨冯邓叶苏卢钟罗许赖谭龙关汤严袁孙马韩邹陆邝萧欧阳诸葛霍简伍戴宋钱"
        "韦聂骆伟华丽国东红军强龙凤兰杰涛鸿辉贤宝荣庆发爱艳凯梦乐远达进飞鹏刚绍锦颖莹晓晖"
        "伦丰汉云业顺贵长兴义权坚礼书龄娇玮炜铭钦锋钧娟丽静凤惠燕琳婷洁敏芳颖玲霞萍红珍"
        "淑兰梅凤燕华诗涵桐彤怡琪晴妍欣轩豪宇睿航骏乐杰俊鸣铃灵滔亭铃骅桦恺铠绣岚澜钰苹",
        "陳黃張劉吳鄭謝楊馮鄧葉蘇盧鍾羅許賴譚龍關湯嚴袁孫馬韓鄒陸鄺蕭歐陽諸葛霍簡伍戴宋錢"
        "韋聶駱偉華麗國東紅軍強龍鳳蘭傑濤鴻輝賢寶榮慶發愛艷凱夢樂遠達進飛鵬剛紹錦穎瑩曉暉"
        "倫豐漢雲業順貴長興義權堅禮書齡嬌瑋煒銘欽鋒鈞娟麗靜鳳惠燕琳婷潔敏芳穎玲霞萍紅珍"
        "淑蘭梅鳳燕華詩涵桐彤怡琪晴妍欣軒豪宇睿航駿樂傑俊鳴鈴靈滔亭鈴驊樺愷鎧繡嵐瀾鈺蘋",
        strict=True,
    )
)

# Surnames a Cantonese-speaking clerk hears as each other, and variant writings of a surname.
HEARD_ALIKE = {"黄": "王", "王": "黄"}
VARIANT_SURNAMES = {"肖": "萧", "萧": "肖", "钟": "锺", "锺": "钟", "于": "於", "丘": "邱"}

# Hanyu pinyin as written on passports (ü as LV or LYU or U depending on the system).
PINYIN = {
    "陈": "chen",
    "李": "li",
    "黄": "huang",
    "张": "zhang",
    "梁": "liang",
    "刘": "liu",
    "林": "lin",
    "何": "he",
    "罗": "luo",
    "吴": "wu",
    "王": "wang",
    "郑": "zheng",
    "谢": "xie",
    "杨": "yang",
    "冯": "feng",
    "邓": "deng",
    "曾": "zeng",
    "朱": "zhu",
    "周": "zhou",
    "许": "xu",
    "蔡": "cai",
    "叶": "ye",
    "苏": "su",
    "卢": "lu",
    "潘": "pan",
    "钟": "zhong",
    "余": "yu",
    "彭": "peng",
    "赖": "lai",
    "邱": "qiu",
    "肖": "xiao",
    "杜": "du",
    "胡": "hu",
    "温": "wen",
    "郭": "guo",
    "江": "jiang",
    "谭": "tan",
    "方": "fang",
    "孔": "kong",
    "麦": "mai",
    "莫": "mo",
    "黎": "li",
    "区": "ou",
    "关": "guan",
    "汤": "tang",
    "严": "yan",
    "袁": "yuan",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "高": "gao",
    "唐": "tang",
    "韩": "han",
    "曹": "cao",
    "邹": "zou",
    "陆": "lu",
    "廖": "liao",
    "邝": "kuang",
    "岑": "cen",
    "甘": "gan",
    "龙": "long",
    "萧": "xiao",
    "于": "yu",
    "欧": "ou",
    "阳": "yang",
    "司": "si",
    "徒": "tu",
    "上": "shang",
    "官": "guan",
    "诸": "zhu",
    "葛": "ge",
    "霍": "huo",
    "简": "jian",
    "伍": "wu",
    "巫": "wu",
    "柯": "ke",
    "范": "fan",
    "程": "cheng",
    "姚": "yao",
    "傅": "fu",
    "戴": "dai",
    "宋": "song",
    "丘": "qiu",
    "阮": "ruan",
    "洪": "hong",
    "侯": "hou",
    "凌": "ling",
    "翁": "weng",
    "钱": "qian",
    "任": "ren",
    "魏": "wei",
    "覃": "qin",
    "韦": "wei",
    "文": "wen",
    "雷": "lei",
    "易": "yi",
    "向": "xiang",
    "吕": "lü",
    "聂": "nie",
    "骆": "luo",
    "伟": "wei",
    "强": "qiang",
    "明": "ming",
    "华": "hua",
    "平": "ping",
    "军": "jun",
    "建": "jian",
    "国": "guo",
    "志": "zhi",
    "德": "de",
    "永": "yong",
    "振": "zhen",
    "汉": "han",
    "锦": "jin",
    "泉": "quan",
    "炳": "bing",
    "坤": "kun",
    "耀": "yao",
    "祖": "zu",
    "润": "run",
    "生": "sheng",
    "桂": "gui",
    "金": "jin",
    "水": "shui",
    "树": "shu",
    "根": "gen",
    "家": "jia",
    "辉": "hui",
    "雄": "xiong",
    "荣": "rong",
    "刚": "gang",
    "东": "dong",
    "坚": "jian",
    "良": "liang",
    "少": "shao",
    "绍": "shao",
    "基": "ji",
    "启": "qi",
    "广": "guang",
    "才": "cai",
    "日": "ri",
    "新": "xin",
    "伯": "bo",
    "磊": "lei",
    "勇": "yong",
    "杰": "jie",
    "涛": "tao",
    "斌": "bin",
    "超": "chao",
    "鹏": "peng",
    "峰": "feng",
    "浩": "hao",
    "亮": "liang",
    "俊": "jun",
    "波": "bo",
    "健": "jian",
    "豪": "hao",
    "晓": "xiao",
    "海": "hai",
    "嘉": "jia",
    "卫": "wei",
    "宇": "yu",
    "子": "zi",
    "锋": "feng",
    "彬": "bin",
    "飞": "fei",
    "威": "wei",
    "凯": "kai",
    "翔": "xiang",
    "栋": "dong",
    "剑": "jian",
    "然": "ran",
    "轩": "xuan",
    "梓": "zi",
    "熙": "xi",
    "航": "hang",
    "皓": "hao",
    "铭": "ming",
    "墨": "mo",
    "一": "yi",
    "鸣": "ming",
    "睿": "rui",
    "思": "si",
    "远": "yuan",
    "乐": "le",
    "骏": "jun",
    "博": "bo",
    "天": "tian",
    "佑": "you",
    "泽": "ze",
    "晨": "chen",
    "曦": "xi",
    "卓": "zhuo",
    "凡": "fan",
    "彦": "yan",
    "秀": "xiu",
    "英": "ying",
    "兰": "lan",
    "玉": "yu",
    "芳": "fang",
    "淑": "shu",
    "珍": "zhen",
    "凤": "feng",
    "丽": "li",
    "美": "mei",
    "玲": "ling",
    "惠": "hui",
    "娟": "juan",
    "梅": "mei",
    "月": "yue",
    "娥": "e",
    "瑞": "rui",
    "佩": "pei",
    "芬": "fen",
    "琴": "qin",
    "红": "hong",
    "萍": "ping",
    "燕": "yan",
    "霞": "xia",
    "素": "su",
    "笑": "xiao",
    "彩": "cai",
    "翠": "cui",
    "银": "yin",
    "好": "hao",
    "娜": "na",
    "敏": "min",
    "静": "jing",
    "艳": "yan",
    "婷": "ting",
    "洁": "jie",
    "琳": "lin",
    "颖": "ying",
    "慧": "hui",
    "莹": "ying",
    "欣": "xin",
    "雪": "xue",
    "倩": "qian",
    "晶": "jing",
    "小": "xiao",
    "怡": "yi",
    "婉": "wan",
    "君": "jun",
    "仪": "yi",
    "咏": "yong",
    "诗": "shi",
    "碧": "bi",
    "绮": "qi",
    "雯": "wen",
    "涵": "han",
    "雨": "yu",
    "桐": "tong",
    "可": "ke",
    "馨": "xin",
    "紫": "zi",
    "萱": "xuan",
    "语": "yu",
    "彤": "tong",
    "芷": "zhi",
    "晴": "qing",
    "若": "ruo",
    "汐": "xi",
    "诺": "nuo",
    "依": "yi",
    "琪": "qi",
    "佳": "jia",
    "心": "xin",
    "雅": "ya",
    "靖": "jing",
    "芯": "xin",
    "妍": "yan",
    "悦": "yue",
    "瑶": "yao",
    "玮": "wei",
    "炜": "wei",
    "维": "wei",
    "唯": "wei",
    "莉": "li",
    "俐": "li",
    "立": "li",
    "骅": "hua",
    "桦": "hua",
    "铃": "ling",
    "灵": "ling",
    "亭": "ting",
    "庭": "ting",
    "菁": "jing",
    "宾": "bin",
    "丰": "feng",
    "钧": "jun",
    "虹": "hong",
    "宏": "hong",
    "鸿": "hong",
    "雁": "yan",
    "闵": "min",
    "晖": "hui",
    "徽": "hui",
    "峻": "jun",
    "鹃": "juan",
    "侠": "xia",
    "盈": "ying",
    "垒": "lei",
    "滔": "tao",
    "宜": "yi",
    "宣": "xuan",
    "灏": "hao",
    "羽": "yu",
    "辰": "chen",
    "臣": "chen",
    "斯": "si",
    "淇": "qi",
    "祺": "qi",
    "棋": "qi",
    "祥": "xiang",
    "昆": "kun",
    "恺": "kai",
    "铠": "kai",
    "智": "zhi",
    "绣": "xiu",
    "岚": "lan",
    "澜": "lan",
    "瑛": "ying",
    "玫": "mei",
    "钰": "yu",
    "苹": "ping",
    "容": "rong",
    "蓉": "rong",
    "童": "tong",
    "清": "qing",
    "师": "shi",
    "含": "han",
    "遥": "yao",
    "越": "yue",
    "夕": "xi",
    "希": "xi",
    "研": "yan",
    "锐": "rui",
    "成": "cheng",
    "诚": "cheng",
    "杭": "hang",
    "朋": "peng",
    "毫": "hao",
    "行": "xing",
    "锺": "zhong",
    "於": "yu",
    "宝": "bao",
    "展": "zhan",
    "忠": "zhong",
    "恒": "heng",
    "昊": "hao",
    "景": "jing",
    "琦": "qi",
    "茵": "yin",
    "薇": "wei",
    "逸": "yi",
    "霖": "lin",
}


# Characters for composing two-character given names (the long tail of naming).
FIRST_CHARS = {
    "M": "志家嘉俊伟文国建永子浩梓宇晓明海振锦思天德荣耀少卓泽博润启逸展昊景炳汉伯绍",
    "F": "丽晓嘉秀美慧雪婉佩思梓子欣雨诗紫可颖玉凤少静淑惠月碧翠咏宝晴乐芷若依雅心佳",
}
SECOND_CHARS = {
    "M": "强明华伟杰豪辉涛锋文俊勇斌峰宇轩浩鹏龙荣东平生成雄彬坤霖恒立亮翔然熙铭航健忠新远",
    "F": "欣怡敏婷玲丽芳燕琪晴彤雯颖莹慧娟霞萍瑶诗珍英兰华红梅仪君茵琳妍涵萱桐悦琦薇洁",
}
SINGLE_SHARE = {"old": 0.3, "mid": 0.3, "young": 0.1}
HEAD_SHARE = 0.4  # of two-character names, share taken from the era's popular list


def _zipf(items: list[str], exponent: float) -> tuple[list[str], list[float]]:
    weights = [1.0 / (rank**exponent) for rank in range(1, len(items) + 1)]
    return items, list(accumulate(weights))


_SURNAME_LIST = list(SURNAMES)
_SURNAME_CUM = list(accumulate(SURNAMES.values()))
_SINGLE = {key: _zipf([w for w in text.split() if len(w) == 1], 0.7) for key, text in GIVEN.items()}
_DOUBLE = {key: _zipf([w for w in text.split() if len(w) == 2], 0.7) for key, text in GIVEN.items()}


def _pick(rng: random.Random, items: list[str], cum: list[float]) -> str:
    return items[bisect(cum, rng.random() * cum[-1])]


def random_surname(rng: random.Random) -> str:
    return _pick(rng, _SURNAME_LIST, _SURNAME_CUM)


def era_of(birth_year: int) -> str:
    if birth_year < 1970:
        return "old"
    if birth_year < 1998:
        return "mid"
    return "young"


def random_given(rng: random.Random, sex: str, birth_year: int) -> str:
    era = era_of(birth_year)
    roll = rng.random()
    if roll < SINGLE_SHARE[era]:
        return _pick(rng, *_SINGLE[(sex, era)])
    if roll < SINGLE_SHARE[era] + (1 - SINGLE_SHARE[era]) * HEAD_SHARE:
        return _pick(rng, *_DOUBLE[(sex, era)])
    while True:
        name = rng.choice(FIRST_CHARS[sex]) + rng.choice(SECOND_CHARS[sex])
        if name[0] != name[1]:
            return name


def sibling_given(rng: random.Random, sex: str, birth_year: int, sibling: str) -> str:
    """A given name for a sibling of someone called ``sibling``: often the same generation
    character (志强 / 志明, 嘉欣 / 嘉怡), otherwise an ordinary name; never identical."""
    while True:
        if len(sibling) == 2 and rng.random() < 0.45:
            name = sibling[0] + rng.choice(GENERATION_SECOND[sex])
        else:
            name = random_given(rng, sex, birth_year)
        if name != sibling:
            return name


def romanise(surname: str, given: str, u_style: str = "LV") -> tuple[str, str]:
    """Passport pinyin of surname and given name (upper case, syllables joined)."""

    def one(text: str) -> str:
        out = []
        for c in text:
            syllable = PINYIN[c]
            if "ü" in syllable:
                syllable = syllable.replace("ü", {"LV": "v", "LYU": "yu", "LU": "u"}[u_style])
            out.append(syllable)
        return "".join(out).upper()

    return one(surname), one(given)


def all_name_characters() -> set[str]:
    """Every character a generated name can contain (for tests of the pinyin table)."""
    chars = set("".join(SURNAMES))
    for text in GIVEN.values():
        chars.update(text.replace(" ", ""))
    for group in GENERATION_SECOND.values():
        chars.update("".join(group))
    for text in (*FIRST_CHARS.values(), *SECOND_CHARS.values()):
        chars.update(text)
    for group in HOMOPHONE_GROUPS:
        chars.update(group)
    chars.update("".join(VARIANT_SURNAMES))
    return chars
