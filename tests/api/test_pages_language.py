"""Both pages speak Chinese by default and English by a visible switch, remembered across visits;
and the Chinese is drawn, not tofu: what headless Chromium shows a person is checked in
screenshots (a label's characters look different from one another, which empty boxes do not)."""

from __future__ import annotations

import pytest

from tests.api._browser import chromium, renders_distinct_glyphs, serve, text_of, wait_until
from tests.api.conftest import token

PAGES = {
    "review": {
        "path": "/review/",
        "heading": "#heading",
        "zh": ("汇通 · 数据复核", "汇通 复核队列"),
        "en": ("Huitong · steward review", "Huitong review queue"),
        "label": "#entities-heading",  # 当前所属实体
    },
    "explore": {
        "path": "/explore/",
        "heading": '[data-i18n="page.heading"]',
        "zh": ("汇通 · 关系探查", "汇通 关系探查"),
        "en": ("Huitong · explorer", "Huitong explorer"),
        "label": '[data-i18n="paths.heading"]',  # 路径查找
    },
}


@pytest.fixture(scope="module")
def server(city, neo4j_target):
    with serve(neo4j_target) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        yield browser


def shown_language(page) -> str:
    return page.evaluate("document.documentElement.lang")


@pytest.mark.parametrize("name", PAGES)
def test_chinese_by_default_english_by_the_switch(server, browser, name):
    spec = PAGES[name]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}{spec['path']}")
    wait_until(page, server, "() => document.getElementById('lang').textContent === 'English'")
    assert shown_language(page) == "zh-CN"
    assert (page.title(), text_of(page, spec["heading"])) == spec["zh"]

    page.click("#lang")
    assert shown_language(page) == "en"
    assert (page.title(), text_of(page, spec["heading"])) == spec["en"]
    assert text_of(page, "#lang") == "中文"

    page.reload()  # remembered
    wait_until(page, server, "() => document.documentElement.lang === 'en'")
    assert (page.title(), text_of(page, spec["heading"])) == spec["en"]
    page.click("#lang")
    assert shown_language(page) == "zh-CN"
    assert (page.title(), text_of(page, spec["heading"])) == spec["zh"]
    assert errors == []
    page.close()


def test_the_switch_rewrites_what_the_page_loaded(server, browser):
    page = browser.new_page()
    page.goto(f"{server.url}/review/#token={token('steward')}")
    wait_until(
        page, server, "() => document.getElementById('status').dataset.key === 'status.ready'"
    )
    assert text_of(page, "#status") == "就绪"
    left = int(page.get_attribute("#left-count", "data-count"))
    assert text_of(page, "#left-count") == f"待复核 {left:,} 条"
    assert text_of(page, "#records th") == "字段"
    page.click("#lang")
    assert text_of(page, "#left-count") == f"{left:,} left"
    assert text_of(page, "#records th") == "field"
    assert text_of(page, "#status") == "ready"
    page.close()


@pytest.mark.parametrize("name", PAGES)
def test_chinese_labels_are_drawn_not_tofu(server, browser, name):
    spec = PAGES[name]
    page = browser.new_page()
    page.goto(f"{server.url}{spec['path']}")
    wait_until(page, server, "() => document.documentElement.lang === 'zh-CN'")
    label = spec["label"]
    assert renders_distinct_glyphs(page, label), (
        f"{text_of(page, label)!r} is drawn as empty boxes: install a CJK font (fonts-noto-cjk)"
    )
    # The check can fail: code points no font has are drawn as one and the same box.
    page.locator(label).evaluate("node => { node.textContent = '\\u0378\\u0379\\u0380\\u0381'; }")
    assert not renders_distinct_glyphs(page, label)
    page.close()
