import json
import textwrap

import pytest

from loaders.config import load_config
from loaders.errors import ConfigError

GOOD = """
[[sources]]
name = "rental"
department = "出租屋管理中心"
path = "rental.csv"
format = "csv"
encoding = "gb18030"
record_id = "登记编号"

[[sources.mentions]]
role = "unit"
entity = "rental_unit"
fields = { address = "房屋地址" }
[[sources.mentions]]
role = "tenant"
entity = "person"
fields = { name = ["姓", "名"], id_number = "承租人证件号码", phone = "联系电话" }
attributes = { registered_on = "登记日期" }

[[sources.relations]]
from = "tenant"
type = "RENTS"
to = "unit"
"""

HEADER = "登记编号,房屋地址,姓,名,承租人证件号码,联系电话,登记日期\n"


def write(tmp_path, toml, header=HEADER, name="rental.csv", encoding="gb18030"):
    (tmp_path / name).write_bytes(header.encode(encoding))
    path = tmp_path / "sources.toml"
    path.write_text(textwrap.dedent(toml), encoding="utf-8")
    return path


def test_good_config_parses(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    (rental,) = config.sources
    assert rental.name == "rental"
    assert rental.path == (tmp_path / "rental.csv").resolve()
    assert rental.encoding == "gb18030"
    tenant = rental.mentions[1]
    assert tenant.fields["name"] == ("姓", "名")
    assert tenant.attributes == {"registered_on": "登记日期"}
    assert rental.relations[0].type == "RENTS"
    assert rental.columns_used()[0] == "登记编号"


def test_every_problem_is_reported_at_once(tmp_path):
    bad = GOOD.replace('"承租人证件号码"', '"证件号"').replace(
        'entity = "rental_unit"', 'entity = "house"'
    )
    bad = bad.replace('type = "RENTS"', 'type = "LIVES_WITH"')
    bad += """
[[sources]]
name = "rental"
department = "x"
path = "missing.csv"
format = "xlsx"
record_id = "id"
[[sources.mentions]]
role = "p"
entity = "person"
fields = { nickname = "n" }
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, bad))
    problems = caught.value.problems
    text = "\n".join(problems)
    assert "source 'rental' mention 'unit': unknown entity 'house'" in text
    assert "unknown relation type 'LIVES_WITH'" in text
    assert "'format' must be one of csv, jsonl, parquet (got 'xlsx')" in text
    assert "unknown field 'nickname' for person" in text
    assert "duplicate name" in text
    assert len(problems) >= 5


def test_unknown_column_and_missing_file_are_named(tmp_path):
    bad = GOOD.replace('"承租人证件号码"', '"证件号"')
    bad += """
[[sources]]
name = "other"
department = "x"
path = "nowhere.csv"
format = "csv"
record_id = "id"
[[sources.mentions]]
role = "p"
entity = "person"
fields = { name = "n" }
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, bad))
    text = str(caught.value)
    assert "source 'rental': unknown column '证件号' (not in rental.csv)" in text
    assert "source 'other': file not found" in text


def test_an_empty_json_lines_file_is_a_source_with_no_rows(tmp_path):
    """JSON lines have no header: a department with nothing to report this period sends an empty
    file, and its keys cannot be checked (a CSV's header or a Parquet schema still can)."""
    toml = GOOD.replace('path = "rental.csv"', 'path = "rental.jsonl"').replace(
        'format = "csv"', 'format = "jsonl"'
    )
    config = load_config(write(tmp_path, toml, header="\n", name="rental.jsonl"))
    assert [source.name for source in config.sources] == ["rental"]


def test_a_json_lines_file_with_rows_still_has_its_keys_checked(tmp_path):
    toml = GOOD.replace('path = "rental.csv"', 'path = "rental.jsonl"').replace(
        'format = "csv"', 'format = "jsonl"'
    )
    row = json.dumps(
        dict.fromkeys(["登记编号", "房屋地址", "姓", "名", "联系电话", "登记日期"], "x")
    )
    with pytest.raises(
        ConfigError, match=r"unknown column '承租人证件号码' \(not in rental.jsonl\)"
    ):
        load_config(write(tmp_path, toml, header=row + "\n", name="rental.jsonl"))


def test_relation_roles_must_fit_the_type(tmp_path):
    bad = GOOD.replace('type = "RENTS"', 'type = "SPOUSE_OF"')
    with pytest.raises(ConfigError, match="SPOUSE_OF needs 'to' to be a person"):
        load_config(write(tmp_path, bad))


def test_wrong_encoding_header_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the columns"):
        load_config(write(tmp_path, GOOD.replace("gb18030", "utf-8"), encoding="gbk"))


def test_not_toml(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_survivorship_is_configured_per_deployment(tmp_path):
    (tmp_path / "rules.toml").write_text('source_trust = ["rental"]\n', encoding="utf-8")
    toml = GOOD + '\n[survivorship]\nfile = "rules.toml"\nsource_trust = ["rental"]\n'
    config = load_config(write(tmp_path, toml))
    assert config.survivorship.file == (tmp_path / "rules.toml").resolve()
    assert config.survivorship.source_trust == ("rental",)
    assert load_config(write(tmp_path, GOOD)).survivorship.source_trust is None


def test_survivorship_errors_name_the_key(tmp_path):
    toml = GOOD + '\n[survivorship]\nfile = "missing.json"\nsource_trust = ["police"]\nx = 1\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, toml))
    text = str(caught.value)
    assert "'file': rules file not found" in text
    assert "'source_trust' names unknown source 'police'" in text
    assert "unknown key 'x'" in text
