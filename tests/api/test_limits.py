"""Hostile input: body size (413 before the body is read), argument sizes, error excerpts,
bounded caches, the per-token rate limit, and how client errors are logged."""

from __future__ import annotations

import asyncio
import io
import json
import time

import pytest

from api.app import create_app
from api.config import ApiSettings
from api.graph import AREA_CACHE_SIZE
from api.ratelimit import RateLimiter
from tests.api.conftest import SECRET, LiveApi, token

BIG = 200_000  # characters: under the body limit, over the argument limit


def call_raw(api, body_chunks, headers):
    """Call the app as a server would, counting how many body chunks it pulled."""
    pulled = []
    sent = []
    chunks = list(body_chunks)

    async def receive():
        if len(pulled) < len(chunks):
            pulled.append(chunks[len(pulled)])
            return {
                "type": "http.request",
                "body": pulled[-1],
                "more_body": len(pulled) < len(chunks),
            }
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("10.0.0.8", 4000),
        "server": ("api.test", 80),
        "state": dict(api.state),
    }

    async def run():
        await api.app(scope, receive, send)

    api.portal.call(run)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, len(pulled)


def test_a_declared_oversized_body_is_refused_before_it_is_read(api):
    limit = ApiSettings().max_body_bytes
    chunk = b"x" * 65_536
    chunks = [chunk] * (20 * (1 << 20) // len(chunk))  # 20 MB
    status, _, body, pulled = call_raw(
        api,
        chunks,
        {
            "authorization": f"Bearer {token()}",
            "content-type": "application/json",
            "content-length": str(len(chunk) * len(chunks)),
        },
    )
    assert status == 413 and pulled == 0
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert f"{limit:,}" in json.loads(body)["errors"][0]["message"]


def test_an_undeclared_oversized_body_is_cut_off_at_the_limit(api):
    limit = ApiSettings().max_body_bytes
    chunk = b"x" * 65_536
    chunks = [chunk] * 320  # 20 MB, streamed without a Content-Length
    status, _, body, pulled = call_raw(
        api, chunks, {"authorization": f"Bearer {token()}", "content-type": "application/json"}
    )
    assert status == 413
    assert pulled == limit // len(chunk) + 1  # stopped one chunk past the limit
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_within_the_limit_is_answered(api):
    payload = json.dumps({"query": "{ me { role } }"}).encode()
    status, _, body, _ = call_raw(
        api,
        [payload],
        {
            "authorization": f"Bearer {token()}",
            "content-type": "application/json",
            "content-length": str(len(payload)),
        },
    )
    assert status == 200 and json.loads(body)["data"]["me"]["role"] == "admin"


def only_error(response):
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize(
    "query",
    [
        '{ repeatOffenders(address: "%s") { totalCount } }',
        '{ person(id: "%s") { __typename } }',
        '{ timeline(id: "%s") { truncated } }',
        '{ marriedWomenOfChildbearingAge(community: "良口东社区", asOf: "%s") { totalCount } }',
    ],
)
def test_an_oversized_literal_argument_is_refused_with_an_excerpt(api, query):
    response = api.post(query % ("b" * BIG), auth=token())
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]  # a Date's own parse error may come too (graphql-core 3.3)
    assert any(
        (e.get("extensions") or {}).get("code") == "BAD_USER_INPUT" and f"{BIG:,}" in e["message"]
        for e in errors
    ), errors
    assert all(len(e["message"]) < 300 for e in errors)


def test_an_oversized_variable_is_refused_with_an_excerpt(api):
    query = "query($a: String!) { household(address: $a) { members { totalCount } } }"
    error = only_error(api.post(query, auth=token(), variables={"a": "r" * BIG}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$a" in error["message"] and len(error["message"]) < 300
    query = 'query($ids: [ID!]!) { splitEntity(id: "P-1", recordIds: $ids, reason: "x") { __typename } }'  # noqa: E501
    mutation = "mutation" + query.removeprefix("query")
    error = only_error(api.post(mutation, auth=token(), variables={"ids": ["a"] * 5_000}))
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "5,000 items" in error["message"]


def test_an_unreadable_argument_is_quoted_as_an_excerpt_only(api):
    text = "不是地址" * 200  # 800 characters: within the limit, unreadable as an address
    query = '{ household(address: "' + text + '") { members { totalCount } } }'
    error = only_error(api.post(query, auth=token()))
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "800 characters" in error["message"] and text not in error["message"]
    since = "2024-" + "9" * 300  # not a date: graphql-core quotes the value whole, twice
    query = '{ repeatOffenders(address: "北京路1号", since: "' + since + '") { totalCount } }'
    error = only_error(api.post(query, auth=token()))
    assert since not in error["message"] and "(305 characters)" in error["message"]


def test_a_date_out_of_range_is_bad_input_not_an_unexpected_error(api):
    query = '{ marriedWomenOfChildbearingAge(community: "良口东社区", asOf: "0005-01-01") { totalCount } }'  # noqa: E501
    error = only_error(api.post(query, auth=token()))
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "asOf" in error["message"]


def test_a_missing_id_in_timeline_is_not_found_with_the_rest_of_the_data(api):
    response = api.post('{ me { role } timeline(id: "P-nothing") { truncated } }', auth=token())
    payload = response.json()
    assert payload["data"] == {"me": {"role": "admin"}, "timeline": None}
    assert payload["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_the_area_cache_is_bounded(api):
    graph = api.state["graph"]

    async def fill():
        for n in range(AREA_CACHE_SIZE + 300):
            await graph.area(f"区{n}")

    api.portal.call(fill)
    assert len(graph._areas) == AREA_CACHE_SIZE
    assert ("区0", None, None) not in graph._areas  # the least recently used went first


def test_rate_limiter_buckets():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0
    assert limiter.acquire("a") == pytest.approx(1.0)
    assert limiter.acquire("b") == 0  # per subject
    now[0] = 1.0
    assert limiter.acquire("a") == 0
    assert RateLimiter.retry_after(0.2) == "1" and RateLimiter.retry_after(2.1) == "3"


@pytest.fixture
def served(neo4j_target, city):
    """An app of its own (rate limit on), with its audit and error lines captured."""
    audit, errors = io.StringIO(), io.StringIO()
    settings = ApiSettings(
        HUITONG_JWT_SECRET=SECRET,
        HUITONG_RATE_LIMIT_PER_MINUTE=6,
        HUITONG_RATE_LIMIT_BURST=3,
    )
    live = LiveApi(
        create_app(settings, target=neo4j_target, audit_stream=audit, error_stream=errors)
    )
    try:
        yield live, audit, errors
    finally:
        live.close()


def test_a_token_over_its_rate_gets_429_with_retry_after(served):
    live, audit, _ = served
    mine, other = token("steward"), token("investigator")
    statuses = [live.post("{ me { role } }", auth=mine).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = live.post("{ me { role } }", auth=mine)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert live.post("{ me { role } }", auth=other).status_code == 200  # per token subject
    last = [json.loads(line) for line in audit.getvalue().splitlines()][-2]
    assert last["status"] == 429 and last["reason"] == "rate_limited"
    assert last["who"] == "test:steward"


def test_client_errors_are_one_line_unexpected_ones_carry_a_traceback(served, monkeypatch):
    live, _, errors = served
    live.post('{ household(address: "不是地址") { members { totalCount } } }', auth=token())
    lines = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert len(lines) == 1 and lines[0]["event"] == "graphql_client_error"
    assert lines[0]["code"] == "BAD_USER_INPUT" and "exception" not in lines[0]

    from api import services

    async def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(services, "married_women", broken)
    response = live.post(
        '{ marriedWomenOfChildbearingAge(community: "良口东社区") { totalCount } }',
        auth=token(),
    )
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    lines = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert len(lines) == 2 and lines[1]["event"] == "graphql_unexpected_error"
    assert "ZeroDivisionError" in json.dumps(lines[1]["exception"])
    # the frames' variables stay out: the request's settings (the JWT secret), its arguments
    assert SECRET not in errors.getvalue() and "良口东社区" not in errors.getvalue()
    assert all("locals" not in frame for frame in lines[1]["exception"][0]["frames"])


@pytest.fixture
def one_at_a_time(neo4j_target, city):
    """An app that runs one GraphQL request at a time and lets another wait 0.3 s."""
    audit = io.StringIO()
    settings = ApiSettings(
        HUITONG_JWT_SECRET=SECRET, HUITONG_MAX_IN_FLIGHT=1, HUITONG_QUEUE_SECONDS=0.3
    )
    live = LiveApi(create_app(settings, target=neo4j_target, audit_stream=audit))
    try:
        yield live, audit
    finally:
        live.close()


def test_a_request_that_waits_too_long_to_run_gets_503_with_retry_after(one_at_a_time):
    """The first request holds the only place while its body is slow to arrive; the second
    waits its 0.3 s and is refused (overloaded, not an error of the graph); once the first is
    answered, the next one runs."""
    live, audit = one_at_a_time
    body = json.dumps({"query": "{ me { role } }"}).encode()
    headers = [(b"authorization", f"Bearer {token()}".encode()),
               (b"content-type", b"application/json")]  # fmt: skip

    def scope() -> dict:
        return {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("10.0.0.9", 4000), "server": ("api.test", 80), "state": dict(live.state),
        }  # fmt: skip

    async def call(arrived: asyncio.Event) -> tuple[int, dict, bytes]:
        sent = []

        async def receive():
            await arrived.wait()
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            sent.append(message)

        await live.app(scope(), receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], dict(start["headers"]), content

    async def run():
        slow_body, at_once = asyncio.Event(), asyncio.Event()
        at_once.set()
        first = asyncio.create_task(call(slow_body))
        await asyncio.sleep(0.05)
        began = time.monotonic()
        second = await call(at_once)
        waited = time.monotonic() - began
        slow_body.set()
        return await first, second, waited, await call(at_once)

    first, second, waited, third = live.portal.call(run)
    assert first[0] == 200 and third[0] == 200
    status, headers_sent, content = second
    assert status == 503 and 0.3 <= waited < 2.0
    assert int(headers_sent[b"retry-after"]) >= 1
    assert json.loads(content)["errors"][0]["extensions"]["code"] == "OVERLOADED"
    refused = [json.loads(line) for line in audit.getvalue().splitlines()]
    assert [r["reason"] for r in refused if r["status"] == 503] == ["overloaded"]
