"""The noise model: how a clerk writes down a true value, and how often it goes wrong.

Each department holds a :class:`Noise` with its own rates (``rates``: kind → probability).
Every variation actually applied is counted per source and kind, so ``noise.json`` says what
the city contains. Kinds that only change the writing (a date format, a phone prefix) are
counted too; the counts are of values changed, not of chances taken.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

from . import geo, identity, names
from .population import TODAY, Enterprise, Person

FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
CN_DIGITS = "〇一二三四五六七八九十"
EXTRAS_PLACE = ("首层", "一楼", "（后座）", "铺位")  # after a flat, a shop or an office
EXTRAS_SPOT = ("旁", "对面", "侧", "门口", "附近")  # after a spot where someone was cited
ROAD_TYPE_SWAP = {
    "路": ("道", "街"),
    "道": ("路", "街"),
    "街": ("路", "道"),
    "大道": ("大街",),
    "大街": ("大道",),
    "巷": ("街",),
}


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + CN_DIGITS[n - 10]
    return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")


class Noise:
    """A department's clerks: writing habits and error rates, with counts of what they did."""

    def __init__(self, rng: random.Random, source: str, rates: dict, counts: Counter):
        self.rng = rng
        self.source = source
        self.rates = rates
        self.counts = counts

    def hit(self, kind: str, scale: float = 1.0) -> bool:
        return self.rng.random() < self.rates.get(kind, 0.0) * scale

    def note(self, kind: str) -> None:
        self.counts[(self.source, kind)] += 1

    def pick(self, kind: str, options: dict[str, float]) -> str:
        """One writing style from ``options`` (style → weight); counted unless the first."""
        styles = list(options)
        style = self.rng.choices(styles, list(options.values()))[0]
        if style != styles[0]:
            self.note(f"{kind}_{style}")
        return style

    # --- names -----------------------------------------------------------------------------
    def name(self, surname: str, given: str) -> str:
        rng = self.rng
        if surname in names.HEARD_ALIKE and self.hit("name_huang_wang"):
            surname = names.HEARD_ALIKE[surname]
            self.note("name_huang_wang")
        if surname in names.VARIANT_SURNAMES and self.hit("name_variant_surname"):
            surname = names.VARIANT_SURNAMES[surname]
            self.note("name_variant_surname")
        if given and self.hit("name_homophone"):
            i = rng.randrange(len(given))
            group = next((g for g in names.HOMOPHONE_GROUPS if given[i] in g and len(g) > 1), None)
            if group:
                given = given[:i] + rng.choice(group.replace(given[i], "")) + given[i + 1 :]
                self.note("name_homophone")
        if self.hit("name_traditional"):
            written = "".join(names.TRADITIONAL.get(c, c) for c in surname + given)
            if written != surname + given:
                self.note("name_traditional")
                return self._spacing(written[: len(surname)], written[len(surname) :])
        return self._spacing(surname, given)

    def _spacing(self, surname: str, given: str) -> str:
        if len(surname) == 2 and self.hit("name_compound_split"):
            self.note("name_compound_split")
            return surname + self.rng.choice((" ", "\u3000")) + given
        if len(surname) + len(given) == 2 and self.hit("name_padded"):
            self.note("name_padded")
            return surname + "\u3000" + given
        return surname + given

    def romanised(self, surname: str, given: str) -> tuple[str, str]:
        u_style = (
            self.pick("pinyin_u", {"LV": 0.6, "LYU": 0.3, "LU": 0.1})
            if any(names.PINYIN[c].count("ü") for c in surname + given)
            else "LV"
        )
        sur, giv = names.romanise(surname, given, u_style)
        if self.hit("romanised_title_case"):
            sur, giv = sur.title(), giv.title()
            self.note("romanised_title_case")
        if self.hit("romanised_order_swapped"):
            self.note("romanised_order_swapped")
            return giv, sur
        return sur, giv

    # --- resident ID -----------------------------------------------------------------------
    def id_number(
        self, person: Person, old_system: bool = False, missing: float = 0.0, when: date = TODAY
    ) -> str:
        """The ID as written on a record of ``when`` (a relative's must have existed then)."""
        rng = self.rng
        if rng.random() < missing:
            self.note("id_missing")
            return ""
        relatives = [r for r in person.relatives() if r.age_at(when) >= 16]
        if relatives and self.hit("id_relative"):
            self.note("id_relative")
            return rng.choice(relatives).id18
        value = person.id18
        if old_system and person.birth.year < 1982 and self.hit("id_old15"):
            self.note("id_old15")
            return identity.ric15(value)
        roll = rng.random()
        wrong, swap, check = (
            self.rates.get(k, 0.0) for k in ("id_wrong_digit", "id_swap", "id_bad_check")
        )
        if roll < wrong:
            i = rng.randrange(17)
            value = value[:i] + rng.choice("0123456789".replace(value[i], "")) + value[i + 1 :]
            self.note("id_wrong_digit")
        elif roll < wrong + swap:
            for _ in range(10):
                i = rng.randrange(16)
                if value[i] != value[i + 1]:
                    value = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
                    self.note("id_swap")
                    break
        elif roll < wrong + swap + check:
            value = value[:17] + rng.choice("0123456789X".replace(value[17], ""))
            self.note("id_bad_check")
        if value.endswith("X") and self.hit("id_lower_x"):
            value = value[:17] + "x"
            self.note("id_lower_x")
        if self.hit("id_spaced"):
            value = f"{value[:6]} {value[6:14]} {value[14:]}"
            self.note("id_spaced")
        return value

    # --- dates, sexes, phones ----------------------------------------------------------------
    def date(self, d: date, styles: dict[str, float]) -> str:
        if d.day <= 12 and d.day != d.month and self.hit("date_day_month_swapped"):
            d = date(d.year, d.day, d.month)
            self.note("date_day_month_swapped")
        style = self.pick("date", styles)
        if style == "iso":
            return d.isoformat()
        if style == "compact":
            return d.strftime("%Y%m%d")
        if style == "slash":
            return f"{d.year}/{d.month}/{d.day}"
        if style == "slash0":
            return f"{d.year}/{d.month:02d}/{d.day:02d}"
        if style == "cn":
            return f"{d.year}年{d.month}月{d.day}日"
        if style == "dot":
            return f"{d.year}.{d.month:02d}.{d.day:02d}"
        raise ValueError(style)

    def sex(self, sex: str, style: str) -> str:
        if self.hit("sex_wrong"):
            sex = "F" if sex == "M" else "M"
            self.note("sex_wrong")
        return {
            "cn": {"M": "男", "F": "女"},
            "code": {"M": "1", "F": "2"},
            "en": {"M": "M", "F": "F"},
            "cn2": {"M": "男性", "F": "女性"},
        }[style][sex]

    def phone(self, number: str, styles: dict[str, float]) -> str:
        if not number:
            return ""
        rng = self.rng
        if self.hit("phone_wrong_digit"):
            i = rng.randrange(3, len(number))
            number = number[:i] + rng.choice("0123456789".replace(number[i], "")) + number[i + 1 :]
            self.note("phone_wrong_digit")
        if number.startswith("020"):
            local = number[3:]
            style = self.pick("landline", {"dash": 0.6, "plain": 0.15, "paren": 0.1, "bare": 0.15})
            return {
                "dash": f"020-{local}",
                "plain": number,
                "paren": f"(020){local}",
                "bare": local,
            }[style]
        style = self.pick("mobile", styles)
        return {
            "plain": number,
            "plus86": f"+86 {number}",
            "plus86tight": f"+86{number}",
            "86dash": f"86-{number}",
            "spaced": f"{number[:3]} {number[3:7]} {number[7:]}",
            "dashed": f"{number[:3]}-{number[3:7]}-{number[7:]}",
        }[style]

    def phones(self, numbers: list[str], styles: dict[str, float]) -> str:
        """One or two numbers in one field (``138…/020-…``) when the clerk took both."""
        numbers = [n for n in numbers if n]
        if not numbers:
            return ""
        if len(numbers) > 1 and self.hit("phone_two_numbers"):
            self.note("phone_two_numbers")
            sep = self.rng.choice(("/", "，", " "))
            return sep.join(self.phone(n, styles) for n in numbers[:2])
        return self.phone(numbers[0], styles)

    # --- addresses ---------------------------------------------------------------------------
    def address(self, where: geo.Place | geo.Point, extra: str = "") -> str:
        """Write an address; ``rates`` keys ``addr_*`` set the habits of this department."""
        rng = self.rng
        r = self.rates
        point = where.point if isinstance(where, geo.Place) else where
        place = where if isinstance(where, geo.Place) else None
        road = point.road
        parts: list[str] = []
        if rng.random() < r.get("addr_city", 0.5):
            parts.append("广州市")
        if rng.random() < r.get("addr_district", 0.7):
            parts.append(road.district)
        if rng.random() < r.get("addr_street", 0.2):
            street = road.street
            if street.endswith("街道"):
                street = rng.choice((street, street, street[:-1], street + "办事处"))
            parts.append(street)
        if self.hit("addr_community_inserted"):
            community = point.community
            if community.endswith("社区"):
                community = rng.choice(
                    (
                        community,
                        community + "居委会",
                        community[:-2] + "居委会",
                        community[:-2] + "居委",
                    )
                )
            parts.append(community)
            self.note("addr_community_inserted")
        parts.append(self._road(road))
        glue = False
        building = place.building if place else ""
        room = place.room if place else ""
        if point.sub and (building or room) and self.hit("addr_glued"):
            glue = True
            self.note("addr_glued")
            parts.append(f"{point.number}号之{point.sub}")
        elif point.sub:
            style = self.pick(
                "addr_sub", r.get("addr_sub_styles", {"zhi": 0.7, "dash": 0.2, "zhicn": 0.1})
            )
            parts.append(
                {
                    "zhi": f"{point.number}号之{point.sub}",
                    "dash": f"{point.number}-{point.sub}号",
                    "zhicn": f"{point.number}号之{cn_number(point.sub)}",
                }[style]
            )
        else:
            parts.append(f"{point.number}号")
        if place and place.landmark:
            parts.append(place.landmark)
        if building:
            if glue:
                parts.append(f"{building}栋")
            else:
                word = self.pick(
                    "addr_building",
                    r.get("addr_building_words", {"栋": 0.8, "座": 0.12, "幢": 0.08}),
                )
                # after 之N a careful clerk leaves a space: 12号之3 5栋 (glued is the noise)
                gap = " " if point.sub and parts[-1].endswith(str(point.sub)) else ""
                parts.append(gap + building + word)
        if room:
            if glue:
                parts.append(room)
            else:
                word = self.pick(
                    "addr_room", r.get("addr_room_words", {"房": 0.6, "室": 0.3, "bare": 0.1})
                )
                gap = " " if point.sub and parts[-1].endswith(str(point.sub)) else ""
                parts.append(gap + room + ("" if word == "bare" else word))
        if extra:
            parts.append(extra)
        elif self.hit("addr_extra"):
            parts.append(rng.choice(EXTRAS_PLACE if place else EXTRAS_SPOT))
            self.note("addr_extra")
        sep = ""
        if self.hit("addr_spaced"):
            sep = " "
            self.note("addr_spaced")
        text = sep.join(parts)
        if self.hit("addr_fullwidth"):
            text = text.translate(FULLWIDTH)
            self.note("addr_fullwidth")
        return text

    def _road(self, road: geo.Road) -> str:
        rng = self.rng
        direction, suffix = road.direction, road.suffix
        if self.hit("addr_road_type_swapped") and suffix in ROAD_TYPE_SWAP:
            suffix = rng.choice(ROAD_TYPE_SWAP[suffix])
            self.note("addr_road_type_swapped")
        if self.hit("addr_direction_changed"):
            direction = "" if direction else rng.choice(geo.DIRECTIONS)
            self.note("addr_direction_dropped" if not direction else "addr_direction_added")
        return road.base + direction + suffix

    def hometown(self, home: geo.HomeTown) -> str:
        """An address outside Guangzhou, written at the department's level of detail."""
        style = self.pick(
            "hometown",
            self.rates.get("hometown_styles", {"full": 0.7, "no_city": 0.2, "county": 0.1}),
        )
        village = home.village + home.detail
        if style == "full":
            return home.province + home.city + home.county + home.town + village
        if style == "no_city":
            return home.province + home.county + home.town + village
        return home.province + home.county

    # --- enterprises -------------------------------------------------------------------------
    def enterprise_name(self, e: Enterprise, when: date = TODAY) -> str:
        """The name as written on a record of ``when`` (before a 更名, the old name)."""
        rng = self.rng
        if e.kind == "individual":
            if self.hit("ent_name_variant"):
                self.note("ent_individual_no_district")
                return e.core + e.industry + e.form
            return e.name
        base = e.parent if e.kind == "branch" else e
        suffix = e.branch_label if e.kind == "branch" else ""
        name = base.name_at(when)
        if self.hit("ent_name_variant"):
            style = rng.choice(("bracket", "bracket_ascii", "no_city", "form_swap"))
            self.note(f"ent_name_{style}")
            core = base.core_at(when) + base.industry
            if style == "bracket":
                name = f"{core}（广州）{base.form}"
            elif style == "bracket_ascii":
                name = f"{core}(广州){base.form}"
            elif style == "no_city":
                name = core + base.form
            else:
                form = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(
                    base.form, base.form
                )
                name = base.city_prefix + core + form
        if self.hit("ent_abbreviated"):
            self.note("ent_abbreviated")
            name = rng.choice((base.core_at(when) + base.industry, "广州" + base.core_at(when)))
        return name + suffix

    def uscc(self, e: Enterprise, missing: float) -> str:
        rng = self.rng
        if rng.random() < missing:
            self.note("uscc_missing")
            return ""
        if e.regno and self.hit("uscc_old_regno"):
            self.note("uscc_old_regno")
            return e.regno
        value = e.uscc
        if self.hit("uscc_typo"):
            i = rng.randrange(2, 18)
            value = (
                value[:i]
                + rng.choice(identity.USCC_ALPHABET.replace(value[i], ""))
                + (value[i + 1 :])
            )
            self.note("uscc_typo")
        if self.hit("uscc_lower"):
            value = value.lower()
            self.note("uscc_lower")
        return value
