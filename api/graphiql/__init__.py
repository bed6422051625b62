"""GraphiQL on ``GET /graphql`` (with ``HUITONG_GRAPHIQL=1``), served from this server.

Strawberry's own GraphiQL page loads React and GraphiQL from a CDN, which the city's network
may not reach; this one serves them from ``node_modules`` (installed from the npm registry by
``scripts/_venv.sh``, ``npm ci`` on ``package-lock.json``). ``graphiql.js`` puts the token of
``/graphql#token=…`` (or the tab's, from the other pages) into the headers editor as
``Authorization: Bearer …``, and a query from ``#query=…`` into the editor.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
PAGE = HERE / "index.html"
_MODULES = HERE / "node_modules"
ASSETS = {
    "graphiql.js": HERE / "graphiql.js",
    "react.min.js": _MODULES / "react" / "umd" / "react.production.min.js",
    "react-dom.min.js": _MODULES / "react-dom" / "umd" / "react-dom.production.min.js",
    "graphiql.min.js": _MODULES / "graphiql" / "graphiql.min.js",
    "graphiql.min.css": _MODULES / "graphiql" / "graphiql.min.css",
}


def page_html() -> str:
    """The GraphiQL page, for strawberry's ``graphql_ide_html``."""
    return PAGE.read_text(encoding="utf-8")


async def asset(request: Request) -> Response:
    path = ASSETS.get(request.path_params["name"])
    if path is None or not path.exists():
        hint = " (run scripts/_venv.sh to install it)" if path is not None else ""
        return PlainTextResponse(f"not found{hint}", status_code=404)
    media_type = "text/css" if path.suffix == ".css" else "text/javascript"
    return FileResponse(path, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    """GraphiQL's scripts and style, for the app's route table."""
    return [Route("/graphiql/{name}", asset, methods=["GET"])]
