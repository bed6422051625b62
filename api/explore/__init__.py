"""The investigators' explorer page, ``/explore``: search, expand, inspect, find paths.

A static page (``index.html``, ``explore.js``) that talks to ``/graphql`` with the bearer token
the investigator pastes in or opens with ``#token=…`` (kept in the tab's sessionStorage); its
address is a link to the view (``/explore/#id=…``, ``#from=…&to=…``). The graph library
(cytoscape) is installed from the npm registry into ``node_modules`` by ``scripts/_venv.sh``
(``npm ci`` on ``package-lock.json``) and served from there: the page works offline, no CDN.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
ASSETS = {
    "explore.js": HERE / "explore.js",
    "cytoscape.min.js": HERE / "node_modules" / "cytoscape" / "dist" / "cytoscape.min.js",
}
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


async def page(request: Request) -> Response:
    return FileResponse(HERE / "index.html", media_type="text/html", headers=_HEADERS)


async def asset(request: Request) -> Response:
    path = ASSETS.get(request.path_params["name"])
    if path is None or not path.exists():
        hint = " (run scripts/_venv.sh to install it)" if path is not None else ""
        return PlainTextResponse(f"not found{hint}", status_code=404)
    return FileResponse(path, media_type="text/javascript", headers=_HEADERS)


def routes() -> list[Route]:
    """The page and its scripts, for the app's route table."""
    return [
        Route("/explore", page, methods=["GET"]),
        Route("/explore/", page, methods=["GET"]),  # /explore/#id=… links
        Route("/explore/{name}", asset, methods=["GET"]),
    ]
