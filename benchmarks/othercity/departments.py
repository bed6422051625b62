"""The departments of the other city: what each one records, in its own layout and habits.

Each department is a function that looks at the true world and returns a :class:`Source`: its
columns (its own Chinese names), file format and encoding, how its columns map to the sources
contract (mentions, relations, event), and its rows, each with the true entity of every role.
Which mentions a row actually holds is decided by the writer from the mapped columns.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from .noise import Noise
from .population import TODAY, Person, World, day_between, years_after

# Rates common to all departments; each department overrides what its clerks do differently.
BASE_RATES = {
    "name_homophone": 0.015,
    "name_traditional": 0.003,
    "name_huang_wang": 0.01,
    "name_variant_surname": 0.05,
    "name_compound_split": 0.2,
    "name_padded": 0.01,
    "id_wrong_digit": 0.006,
    "id_swap": 0.004,
    "id_bad_check": 0.002,
    "id_lower_x": 0.3,
    "id_relative": 0.003,
    "sex_wrong": 0.002,
    "date_day_month_swapped": 0.002,
    "phone_wrong_digit": 0.006,
    "addr_city": 0.5,
    "addr_district": 0.7,
    "addr_street": 0.15,
    "addr_community_inserted": 0.1,
    "addr_glued": 0.1,
    "addr_extra": 0.01,
    "addr_spaced": 0.01,
    "addr_fullwidth": 0.02,
    "addr_road_type_swapped": 0.015,
    "addr_direction_changed": 0.012,
    "ent_name_variant": 0.12,
    "ent_abbreviated": 0.02,
    "uscc_typo": 0.005,
}

MOBILE_STYLES = {"plain": 0.8, "plus86": 0.05, "86dash": 0.04, "spaced": 0.06, "dashed": 0.05}


@dataclass
class Mention:
    role: str
    entity: str
    fields: dict
    attributes: dict = field(default_factory=dict)


@dataclass
class Source:
    name: str
    department: str
    path: str
    format: str  # csv | jsonl | parquet
    encoding: str
    record_id: str
    columns: list[str]
    mentions: list[Mention]
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    event: dict | None = None
    typed: dict = field(default_factory=dict)  # parquet column -> "date" | "int"
    newline: str = "\n"
    rows: list[dict] = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)  # role -> true id, per row

    def add(self, row: dict, ids: dict) -> None:
        unknown = set(row) - set(self.columns)
        if unknown:
            raise KeyError(f"{self.name}: columns not in layout: {sorted(unknown)}")
        self.rows.append(row)
        self.truth.append(ids)

    def number_rows(self, rng: random.Random, make_id) -> None:
        """Shuffle the rows (no order leaks the truth) and give each its record id."""
        order = list(range(len(self.rows)))
        rng.shuffle(order)
        self.rows = [self.rows[i] for i in order]
        self.truth = [self.truth[i] for i in order]
        for k, row in enumerate(self.rows):
            row[self.record_id] = make_id(k)


def _rates(**overrides) -> dict:
    rates = dict(BASE_RATES)
    rates.update(overrides)
    return rates


def _home_text(nz: Noise, person: Person, when: date) -> str:
    """A person's household-registration address as on their ID card."""
    if person.local and person.hukou:
        return nz.address(person.hukou_at(when))
    if person.hometown is not None:
        return nz.hometown(person.hometown)
    return ""


def _job_at(person: Person, when: date):
    for job in person.jobs:
        if job.start <= when and (job.end is None or when < job.end):
            return job
    return None


# --- 1. household registration ----------------------------------------------------------------
def hukou(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "hukou",
        _rates(
            addr_city=0.85,
            addr_district=0.97,
            addr_street=0.55,
            addr_community_inserted=0.35,
            addr_glued=0.06,
            addr_fullwidth=0.01,
            addr_extra=0.0,
            id_wrong_digit=0.002,
            id_swap=0.001,
            id_bad_check=0.0,
            id_relative=0.0,
            id_old15=0.1,
            name_homophone=0.004,
            name_traditional=0.002,
            name_huang_wang=0.0,
            ent_name_variant=0.0,
            addr_building_words={"栋": 0.9, "座": 0.05, "幢": 0.05},
            addr_room_words={"房": 0.8, "室": 0.2, "bare": 0.0},
        ),
        counts,
    )
    src = Source(
        "hukou",
        "公安局户政管理",
        "gongan_huji_renkou.csv",
        "csv",
        "gbk",
        "人员编号",
        [
            "人员编号",
            "户号",
            "姓名",
            "曾用名",
            "性别",
            "民族",
            "出生日期",
            "公民身份号码",
            "与户主关系",
            "户籍地址",
            "联系电话",
            "父亲姓名",
            "父亲公民身份号码",
            "母亲姓名",
            "母亲公民身份号码",
            "配偶姓名",
            "配偶公民身份号码",
            "户籍状态",
            "登记日期",
        ],
        [
            Mention(
                "resident",
                "person",
                {
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "address": "户籍地址",
                    "phone": "联系电话",
                },
                {
                    "household_no": "户号",
                    "relation_to_head": "与户主关系",
                    "former_name": "曾用名",
                    "ethnicity": "民族",
                    "status": "户籍状态",
                    "registered_on": "登记日期",
                },
            ),
            Mention("father", "person", {"name": "父亲姓名", "id_number": "父亲公民身份号码"}),
            Mention("mother", "person", {"name": "母亲姓名", "id_number": "母亲公民身份号码"}),
            Mention("spouse", "person", {"name": "配偶姓名", "id_number": "配偶公民身份号码"}),
        ],
        [
            ("father", "PARENT_OF", "resident"),
            ("mother", "PARENT_OF", "resident"),
            ("spouse", "SPOUSE_OF", "resident"),
        ],
        newline="\r\n",
    )
    date_styles = {"compact": 0.7, "iso": 0.2, "cn": 0.1}
    for p in world.persons:
        if not (p.local and p.hukou):
            continue
        entries = [(since, place, "正常") for since, place in p.hukou[-1:]]
        if len(p.hukou) > 1 and rng.random() < 0.3:
            entries.append((p.hukou[-2][0], p.hukou[-2][1], "迁出"))
        for since, place, status in entries:
            when = max(since, p.birth)
            row = {
                "户号": p.household_no if status == "正常" else f"{rng.randrange(10**9):09d}",
                # the register shows today's name (and the former one) on a current entry
                "姓名": nz.name(
                    p.surname, (p.given if status == "正常" else p.name_at(when)[len(p.surname) :])
                ),
                "曾用名": p.surname + p.former_given if p.former_given and status == "正常" else "",
                "性别": nz.sex(p.sex, "cn"),
                "民族": p.ethnicity,
                "出生日期": nz.date(p.birth, date_styles),
                "公民身份号码": nz.id_number(p),
                "与户主关系": _relation_to_head(p),
                "户籍地址": nz.address(place),
                "联系电话": nz.phone(p.landline or p.phone_at(TODAY), MOBILE_STYLES)
                if rng.random() < 0.3
                else "",
                "户籍状态": status,
                "登记日期": nz.date(when, {"compact": 0.8, "iso": 0.2}),
            }
            ids = {"resident": p.tid}
            for role, column, parent in (
                ("father", "父亲", p.father),
                ("mother", "母亲", p.mother),
            ):
                if (
                    parent is not None
                    and (p.age_at(TODAY) < 30 or parent.household_no == p.household_no)
                    and rng.random() < 0.85
                ):
                    row[f"{column}姓名"] = nz.name(parent.surname, parent.given)
                    row[f"{column}公民身份号码"] = nz.id_number(
                        parent, old_system=True, missing=0.1
                    )
                    ids[role] = parent.tid
            if p.spouse is not None and p.married_on <= TODAY and rng.random() < 0.9:
                row["配偶姓名"] = nz.name(p.spouse.surname, p.spouse.given)
                row["配偶公民身份号码"] = nz.id_number(p.spouse, old_system=True, missing=0.08)
                ids["spouse"] = p.spouse.tid
            src.add(row, ids)
    src.number_rows(rng, lambda k: f"R{4401000000 + k * 7 + rng.randrange(7)}")
    return src


def _relation_to_head(p: Person) -> str:
    head = p.head
    if head is None or head is p:
        return "户主"
    if head is p.spouse:
        return "配偶"
    if head in (p.father, p.mother) or (
        head.spouse is not None and head.spouse in (p.father, p.mother)
    ):
        return "子" if p.sex == "M" else "女"
    grand = [g for parent in (p.father, p.mother) if parent for g in (parent.father, parent.mother)]
    if head in grand:
        return "孙子" if p.sex == "M" else "孙女"
    if p.spouse is not None and head in (p.spouse.father, p.spouse.mother):
        return "儿媳" if p.sex == "F" else "女婿"
    return "其他"


# --- 2. civil affairs: marriage registrations ---------------------------------------------------
def marriage(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "marriage",
        _rates(
            id_wrong_digit=0.003,
            id_swap=0.002,
            id_relative=0.0,
            name_homophone=0.006,
            addr_city=0.9,
            addr_district=0.95,
            addr_street=0.05,
            addr_community_inserted=0.05,
            hometown_styles={"full": 0.4, "no_city": 0.2, "county": 0.4},
        ),
        counts,
    )
    sides = {"husband": "男方", "wife": "女方"}
    columns = ["登记证字号", "业务类型", "登记日期", "登记机关", "登记机关地址"]
    mentions = []
    for role, side in sides.items():
        columns += [
            f"{side}姓名",
            f"{side}证件类型",
            f"{side}证件号码",
            f"{side}出生日期",
            f"{side}户籍所在地",
            f"{side}国籍",
        ]
        mentions.append(
            Mention(
                role,
                "person",
                {
                    "name": f"{side}姓名",
                    "id_number": f"{side}证件号码",
                    "birth_date": f"{side}出生日期",
                    "address": f"{side}户籍所在地",
                },
            )
        )
    src = Source(
        "marriage",
        "民政局婚姻登记处",
        "minzheng_hunyin.jsonl",
        "jsonl",
        "utf-8",
        "登记证字号",
        columns,
        mentions,
        [("husband", "SPOUSE_OF", "wife")],
        {
            "type": "Marriage",
            "date": "登记日期",
            "place": "登记机关地址",
            "attributes": {"business": "业务类型", "office": "登记机关"},
        },
    )
    for m in world.marriages:
        events = [("结婚登记", m.when)]
        if rng.random() < 0.03:
            events.append(("补发结婚证", day_between(rng, m.when, TODAY)))
        for business, when in events:
            row = {
                "业务类型": business,
                "登记日期": nz.date(when, {"iso": 0.9, "cn": 0.1}),
                "登记机关": f"广州市{m.office_district}民政局",
                "登记机关地址": nz.address(world.marriage_offices[m.office_district]),
            }
            for role, person in (("husband", m.husband), ("wife", m.wife)):
                side = sides[role]
                row[f"{side}姓名"] = nz.name(
                    person.surname, person.name_at(when)[len(person.surname) :]
                )
                row[f"{side}证件类型"] = "居民身份证"
                row[f"{side}证件号码"] = nz.id_number(person, missing=0.004, when=when)
                row[f"{side}出生日期"] = nz.date(person.birth, {"iso": 0.9, "cn": 0.1})
                row[f"{side}户籍所在地"] = _home_text(nz, person, when)
                row[f"{side}国籍"] = "中国"
            src.add(
                row,
                {
                    "husband": m.husband.tid,
                    "wife": m.wife.tid,
                    "_year": when.year,
                    "_district": m.office_district,
                },
            )
    order = list(range(len(src.rows)))
    rng.shuffle(order)
    src.rows = [src.rows[i] for i in order]
    src.truth = [src.truth[i] for i in order]
    serial: Counter = Counter()
    codes = {d: world.city.district_code(d) for d in world.marriage_offices}
    for row, ids in zip(src.rows, src.truth, strict=True):
        key = (ids.pop("_district"), ids.pop("_year"))
        serial[key] += 1
        row["登记证字号"] = f"J{codes[key[0]]}-{key[1]}-{serial[key]:06d}"
    return src


# --- 3. social insurance ------------------------------------------------------------------------
def social_insurance(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "social_insurance",
        _rates(
            addr_city=0.3,
            addr_district=0.6,
            addr_street=0.1,
            addr_community_inserted=0.05,
            addr_glued=0.15,
            ent_name_variant=0.15,
            ent_abbreviated=0.03,
            id_wrong_digit=0.004,
            addr_room_words={"房": 0.5, "室": 0.2, "bare": 0.3},
        ),
        counts,
    )
    src = Source(
        "social_insurance",
        "人力资源和社会保障局社会保险基金管理中心",
        "shebao_canbao.parquet",
        "parquet",
        "utf-8",
        "参保记录号",
        [
            "参保记录号",
            "个人社保号",
            "姓名",
            "证件号码",
            "性别",
            "出生日期",
            "手机号码",
            "居住地址",
            "户口性质",
            "单位名称",
            "单位社保编号",
            "单位统一社会信用代码",
            "参保状态",
            "就业状态",
            "参保险种",
            "本单位参保日期",
            "信息更新日期",
        ],
        [
            Mention(
                "insured",
                "person",
                {
                    "name": "姓名",
                    "id_number": "证件号码",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "phone": "手机号码",
                    "address": "居住地址",
                },
                {
                    "insurance_status": "参保状态",
                    "employment_status": "就业状态",
                    "personal_no": "个人社保号",
                    "hukou_type": "户口性质",
                },
            ),
            Mention(
                "employer",
                "enterprise",
                {"name": "单位名称", "uscc": "单位统一社会信用代码"},
                {"unit_no": "单位社保编号"},
            ),
        ],
        [("insured", "EMPLOYED_BY", "employer")],
    )
    personal: dict[str, str] = {}
    unit_no: dict[str, str] = {}

    def row_for(p: Person, status: str, work: str, start: date, until: date, firm=None):
        when = day_between(rng, start, until)
        if p.tid not in personal:
            personal[p.tid] = f"{rng.randrange(10**10):010d}"
        row = {
            "个人社保号": personal[p.tid],
            "姓名": nz.name(p.surname, p.name_at(when)[len(p.surname) :]),
            "证件号码": nz.id_number(p, missing=0.002, when=when),
            "性别": nz.sex(p.sex, "code"),
            "出生日期": nz.date(p.birth, {"iso": 0.85, "compact": 0.15}),
            "手机号码": nz.phone(p.phone_at(when), MOBILE_STYLES) if rng.random() < 0.9 else "",
            "居住地址": nz.address(p.home_at(when)) if rng.random() < 0.8 else "",
            "户口性质": (
                "本市城镇" if p.local else rng.choice(("外市城镇", "外省农村", "本省农村"))
            ),
            "参保状态": status,
            "就业状态": work,
            "参保险种": rng.choice(("养老、医疗、失业、工伤、生育", "养老、医疗", "医疗")),
            "本单位参保日期": start.isoformat(),
            "信息更新日期": when.isoformat(),
        }
        ids = {"insured": p.tid}
        if firm is not None:
            if firm.tid not in unit_no:
                unit_no[firm.tid] = f"{rng.randrange(10**8):08d}"
            row["单位名称"] = nz.enterprise_name(firm, when)
            row["单位社保编号"] = unit_no[firm.tid]
            row["单位统一社会信用代码"] = nz.uscc(firm, missing=0.4)
            ids["employer"] = firm.tid
        src.add(row, ids)

    for p in world.persons:
        for job in p.jobs:
            if rng.random() < 0.85:
                if job.end is None:
                    row_for(p, "参保缴费", "在职", job.start, TODAY, job.enterprise)
                elif p.work_status == "unemployed" and job is p.jobs[-1]:
                    row_for(p, "暂停缴费", "失业", job.start, job.end, job.enterprise)
                else:
                    row_for(p, "终止参保", "离职", job.start, job.end, job.enterprise)
        if p.work_status == "flexible" and rng.random() < 0.7:
            row_for(p, "参保缴费", "灵活就业", day_between(rng, date(2010, 1, 1), TODAY), TODAY)
        elif p.work_status == "retired" and p.local and rng.random() < 0.6:
            start = max(years_after(p.birth, 60), date(2000, 1, 1))
            row_for(p, "正常领取养老金", "退休", start, TODAY)
    src.number_rows(rng, lambda k: f"SB{20000000 + k}")
    return src


# --- 4. enterprise registry ---------------------------------------------------------------------
ENTERPRISE_TYPES = {
    "有限公司": "有限责任公司(自然人投资或控股)",
    "有限责任公司": "有限责任公司(自然人投资或控股)",
    "股份有限公司": "股份有限公司(非上市、自然人投资或控股)",
}


def enterprise_registry(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "enterprise_registry",
        _rates(
            addr_city=0.9,
            addr_district=0.95,
            addr_street=0.1,
            addr_community_inserted=0.02,
            addr_glued=0.05,
            addr_extra=0.0,
            ent_name_variant=0.0,
            ent_abbreviated=0.0,
            uscc_typo=0.002,
            uscc_old_regno=0.03,
            name_homophone=0.006,
            id_wrong_digit=0.003,
            id_relative=0.0,
        ),
        counts,
    )
    src = Source(
        "enterprise_registry",
        "市场监督管理局",
        "shichang_qiye_dengji.csv",
        "csv",
        "utf-8-sig",
        "档案编号",
        [
            "档案编号",
            "企业名称",
            "统一社会信用代码",
            "注册号",
            "企业类型",
            "经济性质",
            "是否非公企业",
            "法定代表人",
            "法定代表人证件号码",
            "住所",
            "联系电话",
            "成立日期",
            "登记状态",
            "登记机关",
            "隶属企业名称",
            "隶属企业统一社会信用代码",
            "变更日期",
            "曾用名称",
        ],
        [
            Mention(
                "enterprise",
                "enterprise",
                {
                    "name": "企业名称",
                    "uscc": "统一社会信用代码",
                    "address": "住所",
                    "phone": "联系电话",
                },
                {
                    "economic_nature": "经济性质",
                    "non_public": "是否非公企业",
                    "type": "企业类型",
                    "status": "登记状态",
                    "founded_on": "成立日期",
                    "registration_no": "注册号",
                    "former_name": "曾用名称",
                },
            ),
            Mention(
                "legal_rep", "person", {"name": "法定代表人", "id_number": "法定代表人证件号码"}
            ),
            Mention(
                "parent", "enterprise", {"name": "隶属企业名称", "uscc": "隶属企业统一社会信用代码"}
            ),
        ],
        [("legal_rep", "LEGAL_REPRESENTATIVE_OF", "enterprise")],
    )
    for e in world.enterprises:
        versions = [(e.founded, "")]
        if rng.random() < 0.04 and e.founded < date(2023, 1, 1):
            versions.append((day_between(rng, e.founded, TODAY), "change"))
        for when, change in versions:
            name = e.name
            if change and e.kind == "company" and rng.random() < 0.5:
                nz.note("ent_name_changed_form")
                name = (
                    e.city_prefix
                    + e.core
                    + e.industry
                    + {"有限公司": "有限责任公司"}.get(e.form, "有限公司")
                )
            if e.kind == "individual":
                etype = "个体工商户"
            elif e.kind == "branch":
                etype = ENTERPRISE_TYPES.get(e.form, "有限责任公司").replace("(", "分公司(", 1)
            else:
                etype = ENTERPRISE_TYPES.get(e.form, "其他")
            row = {
                "企业名称": name,
                "统一社会信用代码": nz.uscc(e, missing=0.01),
                "注册号": e.regno,
                "企业类型": etype,
                "经济性质": e.nature,
                "是否非公企业": "是" if e.non_public else "否",
                "法定代表人": nz.name(e.rep.surname, e.rep.name_at(when)[len(e.rep.surname) :]),
                "法定代表人证件号码": nz.id_number(e.rep, missing=0.08),
                "住所": nz.address(e.address, "（仅限办公用途）" if rng.random() < 0.04 else ""),
                "联系电话": nz.phone(e.phone, MOBILE_STYLES),
                "成立日期": nz.date(e.founded, {"iso": 0.7, "cn": 0.3}),
                "登记状态": e.status,
                "登记机关": f"广州市{e.district}市场监督管理局",
                "变更日期": when.isoformat() if change else "",
                "曾用名称": e.name_at(e.renamed_on - timedelta(days=1)) if e.renamed_on else "",
            }
            ids = {"enterprise": e.tid, "legal_rep": e.rep.tid}
            if e.parent is not None:
                row["隶属企业名称"] = e.parent.name
                row["隶属企业统一社会信用代码"] = nz.uscc(e.parent, missing=0.2)
                ids["parent"] = e.parent.tid
            src.add(row, ids)
    src.number_rows(rng, lambda k: f"GS{440100 + k % 97:06d}{k:07d}")
    return src


# --- 5. rental housing management ---------------------------------------------------------------
def rental(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "rental",
        _rates(
            addr_city=0.15,
            addr_district=0.45,
            addr_street=0.3,
            addr_community_inserted=0.25,
            addr_glued=0.15,
            addr_extra=0.01,
            addr_fullwidth=0.03,
            name_homophone=0.025,
            name_huang_wang=0.03,
            id_relative=0.008,
            id_wrong_digit=0.008,
            id_swap=0.005,
            phone_two_numbers=0.05,
            addr_room_words={"房": 0.45, "室": 0.15, "bare": 0.4},
            addr_sub_styles={"zhi": 0.6, "dash": 0.3, "zhicn": 0.1},
        ),
        counts,
    )
    src = Source(
        "rental",
        "出租屋管理服务中心",
        "chuzuwu_dengji.csv",
        "csv",
        "gb18030",
        "登记编号",
        [
            "登记编号",
            "出租屋地址",
            "房东姓名",
            "房东证件号码",
            "房东联系电话",
            "承租人姓名",
            "承租人证件号码",
            "承租人性别",
            "承租人户籍地址",
            "承租人联系电话",
            "入住日期",
            "租赁用途",
            "登记日期",
            "登记人",
        ],
        [
            Mention("unit", "rental_unit", {"address": "出租屋地址"}),
            Mention(
                "landlord",
                "person",
                {"name": "房东姓名", "id_number": "房东证件号码", "phone": "房东联系电话"},
            ),
            Mention(
                "tenant",
                "person",
                {
                    "name": "承租人姓名",
                    "id_number": "承租人证件号码",
                    "gender": "承租人性别",
                    "address": "承租人户籍地址",
                    "phone": "承租人联系电话",
                },
                {"moved_in": "入住日期", "use": "租赁用途", "registered_on": "登记日期"},
            ),
        ],
        [("landlord", "OWNS", "unit"), ("tenant", "RENTS", "unit")],
        newline="\r\n",
    )
    clerks = ["李文", "陈志华", "黄敏", "张丽", "梁永强", "何晓燕"]
    for t in world.tenancies:
        if rng.random() >= 0.8:
            continue
        registered = min(t.start + timedelta(days=rng.randint(0, 60)), TODAY)
        adults = [p for p in t.tenants if p.age_at(registered) >= 16]
        if rng.random() < 0.3:
            adults = adults[:1]
        landlord = t.unit.landlord
        unit_text = nz.address(t.unit.place)  # one clerk writes the unit once per visit
        for p in adults:
            row = {
                "出租屋地址": unit_text,
                "房东姓名": nz.name(
                    landlord.surname, landlord.name_at(registered)[len(landlord.surname) :]
                ),
                "房东证件号码": nz.id_number(landlord, missing=0.35, when=registered),
                "房东联系电话": nz.phones(
                    [landlord.phone_at(registered), landlord.landline], MOBILE_STYLES
                )
                if rng.random() < 0.75
                else "",
                "承租人姓名": nz.name(p.surname, p.name_at(registered)[len(p.surname) :]),
                "承租人证件号码": nz.id_number(p, missing=0.03, when=registered),
                "承租人性别": nz.sex(p.sex, "cn"),
                "承租人户籍地址": _home_text(nz, p, registered) if rng.random() < 0.85 else "",
                "承租人联系电话": nz.phone(p.phone_at(registered), MOBILE_STYLES)
                if rng.random() < 0.9
                else "",
                "入住日期": nz.date(t.start, {"iso": 0.5, "slash": 0.3, "cn": 0.2}),
                "租赁用途": "居住",
                "登记日期": nz.date(registered, {"iso": 0.5, "slash": 0.3, "cn": 0.2}),
                "登记人": rng.choice(clerks),
            }
            src.add(row, {"unit": t.unit.tid, "landlord": landlord.tid, "tenant": p.tid})
    src.number_rows(rng, lambda k: f"CZ{2010000000 + k}")
    return src


# --- 6. housing authority: lease contract filings -----------------------------------------------
def lease_filing(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "lease_filing",
        _rates(
            addr_city=0.95,
            addr_district=1.0,
            addr_street=0.05,
            addr_community_inserted=0.03,
            addr_glued=0.04,
            addr_extra=0.0,
            addr_fullwidth=0.0,
            id_wrong_digit=0.004,
            addr_room_words={"房": 0.9, "室": 0.1, "bare": 0.0},
        ),
        counts,
    )
    src = Source(
        "lease_filing",
        "住房和城乡建设局",
        "zhujian_zulin_beian.jsonl",
        "jsonl",
        "utf-8",
        "备案编号",
        [
            "备案编号",
            "合同编号",
            "房屋坐落",
            "建筑面积",
            "月租金",
            "出租人",
            "出租人证件号码",
            "承租人",
            "承租人证件号码",
            "承租人联系电话",
            "租期起",
            "租期止",
            "备案日期",
        ],
        [
            Mention(
                "premises",
                "rental_unit",
                {"address": "房屋坐落"},
                {"area": "建筑面积", "rent": "月租金"},
            ),
            Mention("lessor", "person", {"name": "出租人", "id_number": "出租人证件号码"}),
            Mention(
                "lessee",
                "person",
                {"name": "承租人", "id_number": "承租人证件号码", "phone": "承租人联系电话"},
                {"lease_from": "租期起", "lease_to": "租期止"},
            ),
        ],
        [("lessor", "OWNS", "premises"), ("lessee", "RENTS", "premises")],
    )
    for t in world.tenancies:
        if rng.random() >= 0.35:
            continue
        holder = t.tenants[0]
        landlord = t.unit.landlord
        filed = min(t.start + timedelta(days=rng.randint(0, 30)), TODAY)
        end = t.end or years_after(t.start, rng.choice((1, 2, 3)))
        row = {
            "合同编号": f"HT{t.start.year}{rng.randrange(10**6):06d}",
            "房屋坐落": nz.address(t.unit.place),
            "建筑面积": f"{rng.uniform(12, 90):.2f}",
            "月租金": str(rng.randrange(600, 4500, 50)),
            "出租人": nz.name(landlord.surname, landlord.name_at(filed)[len(landlord.surname) :]),
            "出租人证件号码": nz.id_number(landlord, missing=0.05, when=filed),
            "承租人": nz.name(holder.surname, holder.name_at(filed)[len(holder.surname) :]),
            "承租人证件号码": nz.id_number(holder, missing=0.02, when=filed),
            "承租人联系电话": nz.phone(holder.phone_at(filed), MOBILE_STYLES),
            "租期起": nz.date(t.start, {"cn": 0.6, "iso": 0.4}),
            "租期止": nz.date(end, {"cn": 0.6, "iso": 0.4}),
            "备案日期": filed.isoformat(),
        }
        src.add(row, {"premises": t.unit.tid, "lessor": landlord.tid, "lessee": holder.tid})
    src.number_rows(rng, lambda k: f"ZLBA-{k + 1:07d}")
    return src


# --- 7. urban management: violation tickets -----------------------------------------------------
def cityops(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "cityops",
        _rates(
            name_homophone=0.04,
            name_huang_wang=0.06,
            name_traditional=0.004,
            name_padded=0.03,
            id_relative=0.02,
            id_wrong_digit=0.01,
            id_swap=0.006,
            addr_city=0.1,
            addr_district=0.3,
            addr_street=0.05,
            addr_community_inserted=0.05,
            addr_extra=0.03,
            addr_fullwidth=0.03,
            addr_road_type_swapped=0.02,
            addr_direction_changed=0.02,
            ent_name_variant=0.3,
            ent_abbreviated=0.2,
            phone_wrong_digit=0.01,
            addr_room_words={"房": 0.4, "室": 0.1, "bare": 0.5},
        ),
        counts,
    )
    src = Source(
        "cityops",
        "城市管理和综合执法局",
        "chengguan_anjian.csv",
        "csv",
        "utf-8",
        "案件编号",
        [
            "案件编号",
            "立案日期",
            "当事人",
            "证件号码",
            "联系电话",
            "当事人住址",
            "违法地点",
            "违法行为",
            "处理结果",
            "罚款金额",
            "执法队伍",
            "店铺名称",
            "店铺信用代码",
        ],
        [
            Mention(
                "offender",
                "person",
                {
                    "name": "当事人",
                    "id_number": "证件号码",
                    "phone": "联系电话",
                    "address": "当事人住址",
                },
            ),
            Mention("shop", "enterprise", {"name": "店铺名称", "uscc": "店铺信用代码"}),
        ],
        [("offender", "LEGAL_REPRESENTATIVE_OF", "shop")],
        {
            "type": "Violation",
            "date": "立案日期",
            "place": "违法地点",
            "attributes": {
                "kind": "违法行为",
                "outcome": "处理结果",
                "fine": "罚款金额",
                "squad": "执法队伍",
            },
        },
    )
    for v in world.violations:
        p = v.vendor
        row = {
            "立案日期": nz.date(v.when, {"iso": 0.5, "slash": 0.25, "cn": 0.15, "compact": 0.1}),
            "当事人": nz.name(p.surname, p.name_at(v.when)[len(p.surname) :]),
            "证件号码": nz.id_number(p, missing=0.55, when=v.when),
            "联系电话": nz.phone(p.phone_at(v.when), MOBILE_STYLES) if rng.random() < 0.35 else "",
            "当事人住址": nz.address(p.home_at(v.when)) if rng.random() < 0.3 else "",
            "违法地点": nz.address(v.place, v.landmark),
            "违法行为": v.kind,
            "处理结果": v.outcome,
            "罚款金额": str(v.fine) if v.fine else "",
            "执法队伍": v.squad,
        }
        ids = {"offender": p.tid}
        if v.shop is not None:
            row["店铺名称"] = nz.enterprise_name(v.shop, v.when)
            row["店铺信用代码"] = nz.uscc(v.shop, missing=0.7)
            ids["shop"] = v.shop.tid
        src.add(row, ids)
    src.number_rows(rng, lambda k: f"CG{k // 1000 + 17:02d}-{k % 1000:03d}{rng.randrange(100):02d}")
    return src


# --- 8. health: birth certificates --------------------------------------------------------------
def births(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "births",
        _rates(
            name_homophone=0.01,
            addr_city=0.6,
            addr_district=0.9,
            addr_street=0.2,
            addr_community_inserted=0.15,
            id_relative=0.005,
            id_wrong_digit=0.005,
        ),
        counts,
    )
    src = Source(
        "births",
        "卫生健康委员会妇幼健康科",
        "weijian_chusheng.parquet",
        "parquet",
        "utf-8",
        "出生证编号",
        [
            "出生证编号",
            "新生儿姓名",
            "新生儿性别",
            "出生日期",
            "出生体重",
            "助产机构",
            "助产机构地址",
            "母亲姓名",
            "母亲身份证件号码",
            "母亲住址",
            "父亲姓名",
            "父亲身份证件号码",
            "联系电话",
        ],
        [
            Mention(
                "newborn",
                "person",
                {"name": "新生儿姓名", "gender": "新生儿性别", "birth_date": "出生日期"},
                {"weight_g": "出生体重"},
            ),
            Mention(
                "mother",
                "person",
                {
                    "name": "母亲姓名",
                    "id_number": "母亲身份证件号码",
                    "address": "母亲住址",
                    "phone": "联系电话",
                },
            ),
            Mention("father", "person", {"name": "父亲姓名", "id_number": "父亲身份证件号码"}),
        ],
        [("mother", "PARENT_OF", "newborn"), ("father", "PARENT_OF", "newborn")],
        {
            "type": "Birth",
            "date": "出生日期",
            "place": "助产机构地址",
            "attributes": {"facility": "助产机构"},
        },
        typed={"出生日期": "date", "出生体重": "int"},
    )
    hospitals: dict[str, list] = {}
    for name, district, place in world.hospitals:
        hospitals.setdefault(district, []).append((name, place))
    for kid in world.persons:
        mother = kid.mother
        if kid.birth < date(2012, 7, 1) or mother is None or not mother.homes:
            continue
        if mother.homes[0][0] > kid.birth and not mother.local:
            continue  # born before the mother came to the city
        home = mother.home_at(kid.birth)
        name, place = rng.choice(hospitals[home.point.road.district])
        father = kid.father
        row = {
            "新生儿姓名": nz.name(kid.surname, kid.given),
            "新生儿性别": nz.sex(kid.sex, "cn"),
            "出生日期": kid.birth,
            "出生体重": int(rng.gauss(3250, 420)),
            "助产机构": name,
            "助产机构地址": nz.address(place),
            "母亲姓名": nz.name(mother.surname, mother.name_at(kid.birth)[len(mother.surname) :]),
            "母亲身份证件号码": nz.id_number(mother, missing=0.02, when=kid.birth),
            "母亲住址": nz.address(home),
            "联系电话": nz.phone(
                (father or mother).phone_at(kid.birth)
                if rng.random() < 0.4
                else mother.phone_at(kid.birth),
                MOBILE_STYLES,
            ),
        }
        ids = {"newborn": kid.tid, "mother": mother.tid}
        if father is not None and rng.random() < 0.95:
            row["父亲姓名"] = nz.name(
                father.surname, father.name_at(kid.birth)[len(father.surname) :]
            )
            row["父亲身份证件号码"] = nz.id_number(father, missing=0.65, when=kid.birth)
            ids["father"] = father.tid
        src.add(row, ids)
    src.number_rows(rng, lambda k: f"{'NOPQ'[k % 4]}44{rng.randrange(10**7):07d}{k:05d}")
    return src


# --- 9. employment and unemployment registration ------------------------------------------------
def employment(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "employment",
        _rates(
            addr_city=0.2,
            addr_district=0.5,
            addr_street=0.0,
            addr_community_inserted=0.3,
            ent_name_variant=0.25,
            ent_abbreviated=0.1,
            name_homophone=0.02,
            name_huang_wang=0.02,
        ),
        counts,
    )
    src = Source(
        "employment",
        "人力资源和社会保障局就业服务管理中心",
        "jiuye_shiye_dengji.csv",
        "csv",
        "gb18030",
        "登记号",
        [
            "登记号",
            "姓名",
            "公民身份号码",
            "性别",
            "出生日期",
            "文化程度",
            "联系电话",
            "所属街道",
            "现居住地址",
            "登记类型",
            "登记日期",
            "就业状态",
            "原工作单位",
            "现工作单位",
            "是否有就业意愿",
            "培训意愿",
            "目前情况",
        ],
        [
            Mention(
                "worker",
                "person",
                {
                    "name": "姓名",
                    "id_number": "公民身份号码",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "phone": "联系电话",
                    "address": ["所属街道", "现居住地址"],
                },
                {
                    "employment_status": "就业状态",
                    "wants_work": "是否有就业意愿",
                    "training_wanted": "培训意愿",
                    "situation": "目前情况",
                    "registered_on": "登记日期",
                    "kind": "登记类型",
                    "education": "文化程度",
                },
            ),
            Mention("former_employer", "enterprise", {"name": "原工作单位"}),
            Mention("current_employer", "enterprise", {"name": "现工作单位"}),
        ],
        [
            ("worker", "EMPLOYED_BY", "former_employer"),
            ("worker", "EMPLOYED_BY", "current_employer"),
        ],
        newline="\r\n",
    )
    trainings = ["电工", "家政服务", "电子商务", "中式烹调", "育婴员", "汽车维修", "无"]
    situations = {
        "失业": ["在家待业", "打零工", "照顾家庭", "求职中", "参加培训"],
        "灵活就业": ["网约车司机", "外卖配送", "摆摊经营", "家政零工"],
        "就业": ["在职"],
    }
    for p in world.persons:
        if p.work_status == "unemployed" and rng.random() < 0.85:
            kind, status = "失业登记", "失业"
            when = day_between(rng, p.jobs[-1].end if p.jobs else date(2015, 1, 1), TODAY)
        elif p.work_status == "flexible" and rng.random() < 0.6:
            kind, status = "灵活就业登记", "灵活就业"
            when = day_between(rng, date(2015, 1, 1), TODAY)
        elif p.work_status == "employed" and rng.random() < 0.12:
            kind, status = "就业登记", "就业"
            when = day_between(rng, p.jobs[-1].start, TODAY)
        else:
            continue
        home = p.home_at(when)
        row = {
            "姓名": nz.name(p.surname, p.name_at(when)[len(p.surname) :]),
            "公民身份号码": nz.id_number(p, missing=0.01, when=when),
            "性别": nz.sex(p.sex, "cn"),
            "出生日期": nz.date(p.birth, {"slash0": 0.5, "iso": 0.3, "slash": 0.2}),
            "文化程度": p.education,
            "联系电话": nz.phones([p.phone_at(when), p.landline], MOBILE_STYLES),
            "所属街道": home.point.road.street if rng.random() < 0.7 else "",
            "现居住地址": nz.address(home),
            "登记类型": kind,
            "登记日期": nz.date(when, {"slash0": 0.6, "iso": 0.4}),
            "就业状态": status,
            "是否有就业意愿": ("是" if rng.random() < 0.8 else "否") if status != "就业" else "",
            "培训意愿": rng.choice(trainings) if status != "就业" else "",
            "目前情况": rng.choice(situations[status]),
        }
        ids = {"worker": p.tid}
        former = [j for j in p.jobs if j.end is not None and j.end <= when]
        if former and rng.random() < 0.8:
            row["原工作单位"] = nz.enterprise_name(former[-1].enterprise, former[-1].end)
            ids["former_employer"] = former[-1].enterprise.tid
        job = _job_at(p, when)
        if status == "就业" and job is not None:
            row["现工作单位"] = nz.enterprise_name(job.enterprise, when)
            ids["current_employer"] = job.enterprise.tid
        src.add(row, ids)
    src.number_rows(rng, lambda k: f"JY{rng.choice('ABCDE')}{300000 + k}")
    return src


# --- 10. exit and entry documents ---------------------------------------------------------------
def exit_entry(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "exit_entry",
        _rates(
            romanised_title_case=0.15,
            romanised_order_swapped=0.02,
            id_wrong_digit=0.003,
            id_relative=0.0,
            addr_city=0.8,
            addr_district=0.9,
            hometown_styles={"full": 0.8, "no_city": 0.2},
        ),
        counts,
    )
    src = Source(
        "exit_entry",
        "公安局出入境管理支队",
        "churujing_zhengjian.csv",
        "csv",
        "utf-8",
        "受理编号",
        [
            "受理编号",
            "拼音姓",
            "拼音名",
            "性别",
            "出生日期",
            "出生地",
            "公民身份号码",
            "证件类别",
            "证件号码",
            "签发日期",
            "联系电话",
            "户籍地址",
        ],
        [
            Mention(
                "applicant",
                "person",
                {
                    "name": ["拼音姓", "拼音名"],
                    "id_number": "公民身份号码",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "phone": "联系电话",
                    "address": "户籍地址",
                },
                {"document": "证件类别", "issued_on": "签发日期", "birthplace": "出生地"},
            )
        ],
    )
    provinces = {
        "44": "GUANGDONG",
        "43": "HUNAN",
        "45": "GUANGXI",
        "36": "JIANGXI",
        "42": "HUBEI",
        "51": "SICHUAN",
        "41": "HENAN",
        "35": "FUJIAN",
        "50": "CHONGQING",
    }
    for p in world.persons:
        if p.age_at(TODAY) < 16 or rng.random() >= (0.22 if p.local else 0.08):
            continue
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            when = day_between(rng, max(years_after(p.birth, 16), date(2012, 1, 1)), TODAY)
            doc = rng.choices(["普通护照", "往来港澳通行证", "往来台湾通行证"], [40, 55, 5])[0]
            surname, given = nz.romanised(p.surname, p.name_at(when)[len(p.surname) :])
            row = {
                "拼音姓": surname,
                "拼音名": given,
                "性别": nz.sex(p.sex, "en"),
                "出生日期": nz.date(p.birth, {"compact": 0.8, "iso": 0.2}),
                "出生地": provinces.get(p.id18[:2], "GUANGDONG"),
                "公民身份号码": nz.id_number(p, missing=0.03, when=when),
                "证件类别": doc,
                "证件号码": ("E" if doc == "普通护照" else "C") + f"{rng.randrange(10**8):08d}",
                "签发日期": when.strftime("%Y%m%d"),
                "联系电话": nz.phone(p.phone_at(when), MOBILE_STYLES),
                "户籍地址": _home_text(nz, p, when) if rng.random() < 0.7 else "",
            }
            src.add(row, {"applicant": p.tid})
    src.number_rows(rng, lambda k: f"CRJ44{rng.choice(('01', '06', '11', '13'))}{k:08d}")
    return src


# --- 11. floating population residence registration --------------------------------------------
def residence(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "residence",
        _rates(
            addr_city=0.5,
            addr_district=0.8,
            addr_street=0.4,
            addr_community_inserted=0.3,
            addr_glued=0.12,
            ent_name_variant=0.3,
            ent_abbreviated=0.1,
            id_wrong_digit=0.004,
            hometown_styles={"full": 0.85, "no_city": 0.15},
            addr_room_words={"房": 0.7, "室": 0.1, "bare": 0.2},
        ),
        counts,
    )
    src = Source(
        "residence",
        "公安局流动人口管理办公室",
        "liudong_juzhu_dengji.csv",
        "csv",
        "utf-8-sig",
        "登记号",
        [
            "登记号",
            "姓名",
            "身份证号",
            "性别",
            "民族",
            "出生日期",
            "户籍地址",
            "现住地址",
            "联系电话",
            "服务处所",
            "居住事由",
            "登记日期",
            "居住证有效期至",
        ],
        [
            Mention(
                "resident",
                "person",
                {
                    "name": "姓名",
                    "id_number": "身份证号",
                    "gender": "性别",
                    "birth_date": "出生日期",
                    "address": "户籍地址",
                    "phone": "联系电话",
                },
                {"ethnicity": "民族", "reason": "居住事由", "registered_on": "登记日期"},
            ),
            Mention("dwelling", "rental_unit", {"address": "现住地址"}),
            Mention("workplace", "enterprise", {"name": "服务处所"}),
        ],
        [("resident", "RENTS", "dwelling"), ("resident", "EMPLOYED_BY", "workplace")],
    )
    for t in world.tenancies:
        for p in t.tenants:
            if p.local or p.age_at(t.start) < 16 or rng.random() >= 0.7:
                continue
            when = min(t.start + timedelta(days=rng.randint(3, 120)), TODAY)
            job = _job_at(p, when)
            row = {
                "姓名": nz.name(p.surname, p.name_at(when)[len(p.surname) :]),
                "身份证号": nz.id_number(p, missing=0.005, when=when),
                "性别": nz.sex(p.sex, "cn"),
                "民族": p.ethnicity,
                "出生日期": nz.date(p.birth, {"iso": 0.6, "compact": 0.4}),
                "户籍地址": _home_text(nz, p, when),
                "现住地址": nz.address(t.unit.place),
                "联系电话": nz.phone(p.phone_at(when), MOBILE_STYLES) if rng.random() < 0.9 else "",
                "居住事由": "务工" if job else rng.choice(("经商", "投靠亲友", "务工", "就学")),
                "登记日期": nz.date(when, {"iso": 0.6, "compact": 0.4}),
                "居住证有效期至": nz.date(years_after(when, 1), {"iso": 1.0}),
            }
            ids = {"resident": p.tid, "dwelling": t.unit.tid}
            if job is not None and rng.random() < 0.55:
                row["服务处所"] = nz.enterprise_name(job.enterprise, when)
                ids["workplace"] = job.enterprise.tid
            src.add(row, ids)
    src.number_rows(rng, lambda k: f"LD{k * 13 + 100000000}")
    return src


# --- 12. minimum-income support -----------------------------------------------------------------
def dibao(world: World, rng: random.Random, counts: Counter) -> Source:
    nz = Noise(
        rng,
        "dibao",
        _rates(
            id_old15=0.25,
            id_relative=0.02,
            id_wrong_digit=0.01,
            id_swap=0.006,
            name_homophone=0.02,
            name_huang_wang=0.04,
            name_traditional=0.01,
            addr_city=0.2,
            addr_district=0.6,
            addr_street=0.6,
            addr_community_inserted=0.6,
            addr_fullwidth=0.04,
            addr_sub_styles={"zhi": 0.5, "dash": 0.2, "zhicn": 0.3},
            phone_two_numbers=0.1,
        ),
        counts,
    )
    src = Source(
        "dibao",
        "民政局社会救助科",
        "minzheng_dibao.csv",
        "csv",
        "gbk",
        "低保证号",
        [
            "低保证号",
            "申请人姓名",
            "申请人身份证号",
            "性别",
            "家庭住址",
            "联系电话",
            "家庭人口",
            "保障人数",
            "月保障金额",
            "批准日期",
            "配偶姓名",
            "配偶身份证号",
            "所属街道",
            "所属社区",
        ],
        [
            Mention(
                "applicant",
                "person",
                {
                    "name": "申请人姓名",
                    "id_number": "申请人身份证号",
                    "gender": "性别",
                    "address": "家庭住址",
                    "phone": "联系电话",
                },
                {"approved_on": "批准日期", "members": "家庭人口", "amount": "月保障金额"},
            ),
            Mention("spouse", "person", {"name": "配偶姓名", "id_number": "配偶身份证号"}),
        ],
        [("spouse", "SPOUSE_OF", "applicant")],
        newline="\r\n",
    )
    for p in world.persons:
        if not (p.local and p.head is p) or p.age_at(TODAY) < 45:
            continue
        if rng.random() >= (0.05 if p.age_at(TODAY) >= 70 else 0.025):
            continue
        when = day_between(rng, date(2009, 1, 1), TODAY)
        home = p.hukou_at(when)
        members = sum(
            1
            for q in [p, p.spouse, *p.children]
            if q is not None and q.household_no == p.household_no
        )
        row = {
            "申请人姓名": nz.name(p.surname, p.name_at(when)[len(p.surname) :]),
            "申请人身份证号": nz.id_number(p, old_system=True, missing=0.01, when=when),
            "性别": nz.sex(p.sex, "cn"),
            "家庭住址": nz.address(home),
            "联系电话": nz.phones([p.landline, p.phone_at(when)], MOBILE_STYLES),
            "家庭人口": str(members),
            "保障人数": str(max(1, members - rng.randint(0, 1))),
            "月保障金额": str(1120 * max(1, members - 1)),
            "批准日期": nz.date(when, {"cn": 0.5, "dot": 0.2, "iso": 0.3}),
            "所属街道": home.point.road.street,
            "所属社区": home.point.community,
        }
        ids = {"applicant": p.tid}
        if p.spouse is not None and rng.random() < 0.9:
            row["配偶姓名"] = nz.name(p.spouse.surname, p.spouse.given)
            row["配偶身份证号"] = nz.id_number(p.spouse, old_system=True, missing=0.1)
            ids["spouse"] = p.spouse.tid
        src.add(row, ids)
    src.number_rows(rng, lambda k: f"穗低保{2009 + k % 15}{k:05d}")
    return src


DEPARTMENTS = [
    hukou,
    marriage,
    social_insurance,
    enterprise_registry,
    rental,
    lease_filing,
    cityops,
    births,
    employment,
    exit_entry,
    residence,
    dibao,
]


def all_sources(world: World, seed: int, counts: Counter) -> list[Source]:
    """Every department's source, each from its own random stream (adding one changes no other)."""
    return [
        make(world, random.Random(f"othercity:{seed}:{make.__name__}"), counts)
        for make in DEPARTMENTS
    ]
