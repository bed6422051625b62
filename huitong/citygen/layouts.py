"""How each department lays out its file: names, columns, format, encoding, writing habits.

Two cities share one truth model but nothing else. ``standard`` writes Chinese column names and
the format mix the brief asks for (CSV in UTF-8, UTF-8 with BOM, GBK and GB18030; JSON lines;
Parquet). ``other_team`` is "another team's city": pinyin or English column names (the social
insurance file uses the 金保工程 codes ``aac002``/``aac003``…, the registry the SAIC names
``ENTNAME``/``UNISCID``), other formats and encodings per department, other role names, other
date and gender conventions and other noise rates, so an ingest tuned to one layout fails the
other. Columns are written ``logical_key column`` one per line; ``a+b`` splits a name into a
surname column and a given-name column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huitong.citygen.noise import SourceStyle


@dataclass(frozen=True)
class Layout:
    name: str
    department: str
    path: str
    format: str  # csv | jsonl | parquet
    encoding: str | None  # None for parquet
    record_id: str  # the record-ID column
    record_id_pattern: str  # str.format pattern over the row number (1-based)
    columns: dict[str, str | tuple[str, str]]  # logical key: column, or (surname, given) columns
    style: SourceStyle
    roles: dict[str, str] = field(default_factory=dict)  # logical role: role written

    def role(self, logical: str) -> str:
        return self.roles.get(logical, logical)


def _columns(text: str) -> dict[str, str | tuple[str, str]]:
    columns: dict[str, str | tuple[str, str]] = {}
    for line in text.strip().splitlines():
        key, column = line.split()
        if "+" in column:
            surname, given = column.split("+")
            columns[key] = (surname, given)
        else:
            columns[key] = column
    return columns


_HUKOU_CHANGE = """
p_name 姓名
p_id_number 公民身份号码
p_gender 性别
p_birth_date 出生日期
address 户籍地址
change_date 变动日期
change_note 变动说明
"""
_HUKOU_STYLE = SourceStyle(quality=0.5)

STANDARD: dict[str, Layout] = {
    "hukou": Layout(
        "hukou", "公安局户籍管理", "hukou.csv", "csv", "utf-8", "人员编号", "RY{:08d}",
        _columns("""
            p_name 姓名
            p_id_number 公民身份号码
            p_gender 性别
            p_birth_date 出生日期
            ethnicity 民族
            hukou_address 户籍地址
            household_no 户号
            relation_to_head 与户主关系
            status 户口状态
            residence_address 现住址
            p_phone 联系电话
            f_name 父亲姓名
            m_name 母亲姓名
            s_name 配偶姓名
        """),
        _HUKOU_STYLE,
    ),
    "hukou_births": Layout(
        "hukou_births", "公安局户籍管理（出生登记）", "hukou_births.csv", "csv", "utf-8",
        "变动编号", "CS{:07d}",
        _columns("""
            c_name 新生儿姓名
            c_id_number 新生儿身份证号
            c_gender 性别
            c_birth_date 出生日期
            address 户籍地址
            d_name 申报人姓名
            d_id_number 申报人身份证号
            declarant_relation 申报人与新生儿关系
        """),
        _HUKOU_STYLE,
    ),
    "hukou_deaths": Layout(
        "hukou_deaths", "公安局户籍管理（死亡注销）", "hukou_deaths.csv", "csv", "utf-8",
        "变动编号", "SW{:07d}", _columns(_HUKOU_CHANGE), _HUKOU_STYLE,
    ),
    "hukou_move_in": Layout(
        "hukou_move_in", "公安局户籍管理（迁入）", "hukou_move_in.csv", "csv", "utf-8",
        "变动编号", "QR{:07d}", _columns(_HUKOU_CHANGE), _HUKOU_STYLE,
    ),
    "hukou_move_out": Layout(
        "hukou_move_out", "公安局户籍管理（迁出）", "hukou_move_out.csv", "csv", "utf-8",
        "变动编号", "QC{:07d}", _columns(_HUKOU_CHANGE), _HUKOU_STYLE,
    ),
    "rental": Layout(
        "rental", "出租屋管理中心", "rental.csv", "csv", "gb18030", "登记编号", "CZ{:08d}",
        _columns("""
            unit_address 房屋地址
            use 房屋用途
            rent 月租金
            l_name 出租人姓名
            l_id_number 出租人证件号码
            l_phone 出租人电话
            t_name 承租人姓名
            t_id_number 承租人证件号码
            t_gender 承租人性别
            t_phone 联系电话
            registered_on 登记日期
            lease_start 租赁起始日期
            lease_end 租赁终止日期
        """),
        SourceStyle(quality=1.6, old_system=True, date_format="slash", city=False,
                    street_community=True),
    ),
    "marriage": Layout(
        "marriage", "民政局婚姻登记", "marriage.jsonl", "jsonl", "utf-8", "登记证号", "BJ{:08d}",
        _columns("""
            h_name 男方姓名
            h_id_number 男方身份证件号
            h_birth_date 男方出生日期
            h_address 男方户籍地
            w_name 女方姓名
            w_id_number 女方身份证件号
            w_birth_date 女方出生日期
            w_address 女方户籍地
            registered_on 登记日期
            office 登记机关
            office_address 登记机关地址
        """),
        SourceStyle(quality=0.6, date_format="chinese"),
    ),
    "social_insurance": Layout(
        "social_insurance", "人力资源和社会保障局（社保）", "social_insurance.parquet", "parquet",
        None, "参保记录号", "SB{:09d}",
        _columns("""
            p_name 姓名
            p_id_number 社会保障号码
            p_gender 性别
            p_birth_date 出生日期
            p_phone 手机号码
            employer_name 单位名称
            employer_uscc 统一社会信用代码
            insurance_status 参保状态
            employment_status 就业状态
            insured_since 参保日期
            stopped_on 停保日期
            contribution_base 缴费基数
        """),
        SourceStyle(quality=0.8, date_format="compact", gender="12"),
    ),
    "enterprise": Layout(
        "enterprise", "市场监督管理局（工商登记）", "enterprise.csv", "csv", "utf-8-sig",
        "登记序号", "SC{:08d}",
        _columns("""
            e_name 企业名称
            e_uscc 统一社会信用代码
            e_address 住所
            e_phone 联系电话
            company_type 企业类型
            nature 经济性质
            non_public 是否非公企业
            status 登记状态
            founded 成立日期
            capital 注册资本（万元）
            industry 行业
            parent_name 隶属企业
            registration_kind 记录类型
            authority 登记机关
            r_name 法定代表人
            r_id_number 法定代表人证件号码
        """),
        SourceStyle(quality=0.4),
    ),
    "violations": Layout(
        "violations", "城市管理和综合执法局", "violations.csv", "csv", "gbk", "案件编号",
        "CG{:08d}",
        _columns("""
            v_name 当事人姓名
            v_id_number 当事人证件号码
            v_gender 性别
            v_phone 联系电话
            kind 违法行为
            place 违法地点
            day 发现日期
            outcome 处理结果
            fine 罚款金额
            squad 执法中队
        """),
        SourceStyle(quality=2.0, old_system=True, date_format="chinese", city=False,
                    overrides={"id_missing": 0.15}),
    ),
    "births": Layout(
        "births", "卫生健康委员会（出生医学证明）", "births.jsonl", "jsonl", "utf-8",
        "出生医学证明编号", "Q44{:08d}",
        _columns("""
            c_name 新生儿姓名
            c_gender 新生儿性别
            c_birth_date 出生日期
            weight 出生体重
            hospital 接生机构
            hospital_address 接生机构地址
            home_address 家庭住址
            m_name 母亲姓名
            m_id_number 母亲身份证号
            f_name 父亲姓名
            f_id_number 父亲身份证号
        """),
        SourceStyle(quality=0.8),
    ),
    "exit_entry": Layout(
        "exit_entry", "公安局出入境管理", "exit_entry.csv", "csv", "utf-8", "登记号", "CR{:08d}",
        _columns("""
            p_name 英文姓+英文名
            p_gender 性别
            p_birth_date 出生日期
            nationality 国籍
            document_type 证件种类
            p_id_number 证件号码
            passport 护照号码
            visa_type 签证种类
            residence 境内住址
            p_phone 联系电话
            entered_on 入境日期
        """),
        SourceStyle(quality=0.6, date_format="compact", gender="MF", romanised=True),
    ),
    "migrants": Layout(
        "migrants", "来穗人员服务管理局", "migrants.csv", "csv", "gb18030", "登记流水号",
        "LS{:09d}",
        _columns("""
            p_name 姓名
            p_id_number 身份证号
            p_gender 性别
            p_birth_date 出生日期
            p_phone 手机
            hukou_address 户籍地址
            residence 现居住地址
            employer_name 服务处所
            reason 居住事由
            registered_on 登记日期
        """),
        SourceStyle(quality=1.4, old_system=True, date_format="slash", street_community=True),
    ),
    "unemployment": Layout(
        "unemployment", "人力资源和社会保障局（失业登记）", "unemployment.csv", "csv",
        "utf-8-sig", "失业登记证号", "SY{:08d}",
        _columns("""
            p_name 姓名
            p_id_number 身份证号码
            p_gender 性别
            p_phone 联系电话
            residence 居住地址
            employer_name 原工作单位
            employer_uscc 原单位统一社会信用代码
            registered_on 失业登记日期
            wants_work 就业意愿
            training 培训需求
            situation 目前状况
        """),
        SourceStyle(quality=1.0, old_system=True),
    ),
    "subsistence": Layout(
        "subsistence", "民政局社会救助（低保）", "subsistence.jsonl", "jsonl", "utf-8",
        "低保证号", "DB{:07d}",
        _columns("""
            p_name 户主姓名
            p_id_number 户主身份证号
            p_phone 联系电话
            address 家庭住址
            members 保障人口
            amount 月保障金额
            approved_on 审批日期
            status 保障状态
        """),
        SourceStyle(quality=1.0, date_format="slash"),
    ),
    "disability": Layout(
        "disability", "残疾人联合会", "disability.parquet", "parquet", None, "记录号", "CL{:07d}",
        _columns("""
            p_name 姓名
            p_id_number 身份证号
            p_gender 性别
            p_birth_date 出生日期
            address 户籍地址
            category 残疾类别
            grade 残疾等级
            card_number 残疾人证号
            issued_on 发证日期
            g_name 监护人姓名
            g_phone 监护人电话
        """),
        SourceStyle(quality=0.8),
    ),
    "vaccination": Layout(
        "vaccination", "疾病预防控制中心（预防接种）", "vaccination.parquet", "parquet", None,
        "接种记录编号", "YM{:09d}",
        _columns("""
            c_name 受种者姓名
            c_gender 受种者性别
            c_birth_date 受种者出生日期
            g_name 监护人姓名
            g_phone 监护人电话
            vaccine 疫苗名称
            dose 剂次
            vaccinated_on 接种日期
            clinic 接种单位
            clinic_address 接种单位地址
        """),
        SourceStyle(quality=0.9, date_format="iso"),
    ),
}  # fmt: skip

_OTHER_CHANGE = """
p_name full_name
p_id_number id_card
p_gender sex
p_birth_date birth
address hh_addr
change_date change_date
change_note remark
"""
_OTHER_HUKOU_STYLE = SourceStyle(quality=0.7, date_format="compact", gender="12", city=False)

OTHER_TEAM: dict[str, Layout] = {
    "hukou": Layout(
        "pop_register", "区人口信息系统", "pop_register.parquet", "parquet", None, "RYBH",
        "{:012d}",
        _columns("""
            p_name XING+MING
            p_id_number SFZH
            p_gender XB
            p_birth_date CSRQ
            ethnicity MZ
            hukou_address HJDZ
            household_no HH
            relation_to_head YHZGX
            status HKZT
            residence_address XZZ
            p_phone LXDH
            f_name FQXM
            m_name MQXM
            s_name POXM
        """),
        _OTHER_HUKOU_STYLE,
        {"resident": "person"},
    ),
    "hukou_births": Layout(
        "newborn_hukou", "公安户政（出生入户）", "newborn_hukou.csv", "csv", "gbk", "event_id",
        "NB-{:06d}",
        _columns("""
            c_name baby_name
            c_id_number baby_idno
            c_gender sex
            c_birth_date dob
            address hh_address
            d_name applicant_name
            d_id_number applicant_idno
            declarant_relation applicant_relation
        """),
        SourceStyle(quality=0.7, date_format="slash", gender="MF"),
        {"child": "newborn", "declarant": "applicant"},
    ),
    "hukou_deaths": Layout(
        "deaths", "公安户政（死亡注销）", "deaths.jsonl", "jsonl", "utf-8", "change_id",
        "D{:06d}", _columns(_OTHER_CHANGE), _OTHER_HUKOU_STYLE, {"person": "deceased"},
    ),
    "hukou_move_in": Layout(
        "moves_in", "公安户政（迁入）", "moves_in.jsonl", "jsonl", "utf-8", "change_id",
        "I{:06d}", _columns(_OTHER_CHANGE), _OTHER_HUKOU_STYLE,
    ),
    "hukou_move_out": Layout(
        "moves_out", "公安户政（迁出）", "moves_out.jsonl", "jsonl", "utf-8", "change_id",
        "O{:06d}", _columns(_OTHER_CHANGE), _OTHER_HUKOU_STYLE,
    ),
    "rental": Layout(
        "house_rental", "房屋租赁登记备案", "house_rental.jsonl", "jsonl", "gb18030", "reg_no",
        "HR{:07d}",
        _columns("""
            unit_address house_address
            use usage
            rent monthly_rent
            l_name owner_name
            l_id_number owner_idno
            l_phone owner_tel
            t_name renter_name
            t_id_number renter_idno
            t_gender renter_sex
            t_phone renter_tel
            registered_on reg_date
            lease_start lease_from
            lease_end lease_to
        """),
        SourceStyle(quality=1.2, old_system=True, date_format="iso", gender="MF",
                    street_community=False, room_suffix="室", building_suffix="座"),
        {"unit": "house", "landlord": "owner", "tenant": "renter"},
    ),
    "marriage": Layout(
        "marriage_reg", "婚姻登记信息系统", "marriage_reg.csv", "csv", "gb18030", "DJZH",
        "J{:08d}",
        _columns("""
            h_name NF_XM
            h_id_number NF_SFZH
            h_birth_date NF_CSRQ
            h_address NF_HJD
            w_name NVF_XM
            w_id_number NVF_SFZH
            w_birth_date NVF_CSRQ
            w_address NVF_HJD
            registered_on DJRQ
            office DJJG
            office_address DJJGDZ
        """),
        SourceStyle(quality=0.9, date_format="compact", room_suffix=""),
    ),
    "social_insurance": Layout(
        "si_insured", "社会保险经办机构", "si_insured.csv", "csv", "utf-8-sig", "aaz159",
        "{:010d}",
        _columns("""
            p_name aac003
            p_id_number aac002
            p_gender aac004
            p_birth_date aac006
            p_phone aae005
            employer_name aab004
            employer_uscc aab998
            insurance_status aac008
            employment_status aac084
            insured_since aac030
            stopped_on aae031
            contribution_base aic020
        """),
        SourceStyle(quality=1.0, date_format="iso", gender="12"),
        {"insured": "person", "employer": "unit"},
    ),
    "enterprise": Layout(
        "market_entities", "市场主体登记", "market_entities.jsonl", "jsonl", "utf-8", "PRIPID",
        "4401{:010d}",
        _columns("""
            e_name ENTNAME
            e_uscc UNISCID
            e_address DOM
            e_phone TEL
            company_type ENTTYPE
            nature ECONATURE
            non_public NONPUBFLAG
            status REGSTATE
            founded ESTDATE
            capital REGCAP
            industry INDUSTRY
            parent_name PARENTNAME
            registration_kind RECTYPE
            authority REGORG
            r_name LEREP
            r_id_number CERNO
        """),
        SourceStyle(quality=0.6, date_format="slash"),
        {"enterprise": "entity", "legal_representative": "lerep"},
    ),
    "violations": Layout(
        "city_mgmt_cases", "综合行政执法", "city_mgmt_cases.csv", "csv", "utf-8", "case_no",
        "ZF{:06d}",
        _columns("""
            v_name party_name
            v_id_number party_idno
            v_gender party_sex
            v_phone party_tel
            kind offence
            place location
            day occurred_on
            outcome result
            fine fine_yuan
            squad team
        """),
        SourceStyle(quality=2.5, old_system=True, date_format="iso", district=False,
                    overrides={"id_missing": 0.25}),
        {"vendor": "party"},
    ),
    "births": Layout(
        "birth_certs", "妇幼保健信息系统", "birth_certs.parquet", "parquet", None, "cert_no",
        "R{:09d}",
        _columns("""
            c_name baby_name
            c_gender baby_sex
            c_birth_date baby_dob
            weight weight_g
            hospital hospital
            hospital_address hospital_addr
            home_address home_addr
            m_name mother_name
            m_id_number mother_idno
            f_name father_name
            f_id_number father_idno
        """),
        SourceStyle(quality=1.0, date_format="chinese", gender="12"),
        {"child": "baby"},
    ),
    "exit_entry": Layout(
        "foreign_stays", "境外人员住宿登记", "foreign_stays.parquet", "parquet", None, "REG_ID",
        "S{:08d}",
        _columns("""
            p_name FAMILY_NAME+GIVEN_NAMES
            p_gender SEX
            p_birth_date BIRTH_DATE
            nationality NATIONALITY
            document_type DOC_TYPE
            p_id_number DOC_NO
            passport PASSPORT_NO
            visa_type VISA
            residence STAY_ADDRESS
            p_phone PHONE
            entered_on ENTRY_DATE
        """),
        SourceStyle(quality=0.8, date_format="iso", gender="MF", romanised=True),
        {"traveller": "guest"},
    ),
    "migrants": Layout(
        "floating_pop", "流动人口管理", "floating_pop.csv", "csv", "gbk", "LSBH", "L{:08d}",
        _columns("""
            p_name XM
            p_id_number SFZHM
            p_gender XB
            p_birth_date CSRQ
            p_phone SJHM
            hukou_address HJDZ
            residence JZDZ
            employer_name FWCS
            reason JZSY
            registered_on DJRQ
        """),
        SourceStyle(quality=1.8, old_system=True, date_format="chinese", gender="12",
                    street_community=True, room_suffix="室"),
    ),
    "unemployment": Layout(
        "jobless_reg", "就业服务管理局", "jobless_reg.jsonl", "jsonl", "utf-8", "reg_id",
        "U{:07d}",
        _columns("""
            p_name name
            p_id_number id_no
            p_gender gender
            p_phone mobile
            residence live_addr
            employer_name last_employer
            employer_uscc last_employer_code
            registered_on reg_date
            wants_work want_job
            training want_training
            situation status_now
        """),
        SourceStyle(quality=1.2, date_format="compact", gender="MF"),
    ),
    "subsistence": Layout(
        "dibao", "社会救助管理", "dibao.csv", "csv", "utf-8", "DBZH", "DB-{:06d}",
        _columns("""
            p_name HZXM
            p_id_number HZSFZH
            p_phone LXDH
            address JTZZ
            members BZRK
            amount YBZJ
            approved_on SPRQ
            status BZZT
        """),
        SourceStyle(quality=1.2, date_format="iso", city=False),
    ),
    "disability": Layout(
        "disabled_persons", "残疾人服务", "disabled_persons.csv", "csv", "gb18030", "rec_id",
        "C{:07d}",
        _columns("""
            p_name name
            p_id_number id_no
            p_gender sex
            p_birth_date dob
            address address
            category disability_type
            grade disability_grade
            card_number card_no
            issued_on issued
            g_name guardian_name
            g_phone guardian_phone
        """),
        SourceStyle(quality=1.0, date_format="slash", gender="MF"),
    ),
    "vaccination": Layout(
        "immunisation", "免疫规划信息系统", "immunisation.csv", "csv", "utf-8-sig", "jzjl_id",
        "{:011d}",
        _columns("""
            c_name child_name
            c_gender child_sex
            c_birth_date child_dob
            g_name guardian
            g_phone guardian_mobile
            vaccine vaccine_name
            dose dose_no
            vaccinated_on jz_date
            clinic jz_unit
            clinic_address jz_unit_addr
        """),
        SourceStyle(quality=1.1, date_format="slash", gender="12", city=False),
        {"child": "recipient"},
    ),
}  # fmt: skip

LAYOUTS: dict[str, dict[str, Layout]] = {"standard": STANDARD, "other_team": OTHER_TEAM}
