"""The web dashboard's static files (``taskprogress/ui``) at ``/zstack/ui/``: a client of the REST API, not part of it.

Only the files shipped in the package are served (the list is read once, so no request can reach outside the
folder); ``/zstack/ui`` redirects to ``/zstack/ui/``. These routes are left out of the OpenAPI document, and an
unknown file gets the REST layer's plain-text 404 like any unknown path. The pages may load scripts and styles
from this origin only, and may call only this origin (Content-Security-Policy).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, RedirectResponse, Response

from taskprogress.rest.wire import CONTEXT_PATH

UI_PATH = f"{CONTEXT_PATH}/ui"
UI_DIR = Path(str(files("taskprogress") / "ui"))
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = {
    "Cache-Control": "no-cache",  # revalidated with the ETag: a new release is seen at once
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


def _shipped(folder: Path) -> dict[str, Path]:
    """``relative/name`` → file, for every file of a type we serve."""
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


FILES = _shipped(UI_DIR)

router = APIRouter(include_in_schema=False)


@router.api_route(UI_PATH, methods=["GET", "HEAD"])
def dashboard_root() -> Response:
    return RedirectResponse(f"{UI_PATH}/", status_code=307)


@router.api_route(UI_PATH + "/{name:path}", methods=["GET", "HEAD"])
def dashboard_file(name: str) -> Response:
    path = FILES.get(name or "index.html")
    if path is None:
        raise HTTPException(404)  # the REST layer's text: "no api mapping to /ui/..."
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=HEADERS)
