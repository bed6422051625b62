"""GraphiQL on GET /graphql in real headless Chromium: served by the app itself (no CDN), it takes
the token of /graphql#token=… into its headers and runs a query with it."""

from __future__ import annotations

import json
from urllib.parse import quote, urlparse

import httpx
import pytest

from tests.api._browser import chromium, serve, wait_for, wait_until
from tests.api.conftest import token


@pytest.fixture(scope="module")
def server(city, neo4j_target):
    with serve(neo4j_target, graphiql=True) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        yield browser


HEADERS = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"  # the headers editor


def editor_text(page, selector: str) -> str:
    """The whole text of a GraphiQL editor (CodeMirror draws only what is in view)."""
    return page.locator(selector).first.evaluate("node => node.CodeMirror.getValue()")


def test_the_page_and_its_libraries_are_served_locally(server):
    page = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/graphiql/graphiql.min.js" in page.text
    assert "https://" not in page.text
    for name in ("graphiql.js", "react.min.js", "react-dom.min.js", "graphiql.min.js"):
        assert httpx.get(f"{server.url}/graphiql/{name}").status_code == 200, name
    assert httpx.get(f"{server.url}/graphiql/graphiql.min.css").status_code == 200
    assert httpx.get(f"{server.url}/graphiql/nothing.js").status_code == 404


def test_graphiql_runs_a_query_with_the_token_of_the_link(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if urlparse(r.url).hostname != "127.0.0.1" else None,
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    bearer = token("steward")
    query = "{ me { subject role } }"
    page.goto(f"{server.url}/graphql#token={bearer}&query={quote(query)}")
    wait_for(page, server, HEADERS)
    assert "token=" not in page.url  # the token leaves the address bar
    headers = json.loads(editor_text(page, HEADERS))
    assert headers == {"Authorization": f"Bearer {bearer}"}
    assert editor_text(page, ".graphiql-query-editor .CodeMirror") == query

    page.click(".graphiql-execute-button")
    wait_until(
        page, server,
        """() => document.querySelector('.result-window .CodeMirror')
                 ?.CodeMirror.getValue().includes('"role"')""",
    )  # fmt: skip
    result = json.loads(editor_text(page, ".result-window .CodeMirror"))
    assert result == {"data": {"me": {"subject": "test:steward", "role": "steward"}}}
    assert outside == [] and errors == []
    page.close()


def test_without_a_token_the_headers_say_where_to_get_one(server, browser):
    page = browser.new_page()
    page.goto(f"{server.url}/graphql")
    wait_for(page, server, HEADERS)
    headers = json.loads(editor_text(page, HEADERS))
    assert headers == {"Authorization": "Bearer <huitong token create --role admin>"}
    page.close()
