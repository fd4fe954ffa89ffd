"""The interactive API reference at `/docs`: Swagger UI served from the assets the
`fastapi-offline` package ships, never from a CDN, so it works offline and under the same
content security policy as every other page (its start-up script is a file of ours, not
inline). ReDoc is not served: it injects styles, which that policy forbids."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
START = Path(__file__).parent / "docs_start.js"
BUNDLED = Path(fastapi_offline.__file__).parent / "static"

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wijklab API</title>
<link rel="icon" href="{ASSETS}/favicon.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=BUNDLED), name="docs")

    @app.get("/docs", include_in_schema=False)
    async def reference() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get("/docs/start.js", include_in_schema=False)
    async def start() -> HTMLResponse:
        return HTMLResponse(START.read_text(), media_type="text/javascript")
