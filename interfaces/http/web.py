"""The web pages: the live board at `/`, finding incidents, the thresholds; their assets under `/static/`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

from interfaces.http.services import services
from interfaces.services import Services

router = APIRouter(tags=["web"], include_in_schema=False)
WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Everything comes from this server: no inline script, no CDN, nothing to frame the page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The page is small and changes with releases: revalidate rather than run a stale script.
    "Cache-Control": "no-cache",
}


def _asset(name: str) -> FileResponse:
    # Only a plain file name of a known type directly in the web folder: no sub-paths, no dot-files.
    suffix = Path(name).suffix
    path = WEB_ROOT / name
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in MEDIA_TYPES or not path.is_file():
        raise HTTPException(404, f"no asset {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[suffix], headers=HEADERS)


@router.get("/")
def page() -> FileResponse:
    """The board page; it signs in with a pasted token and reads the API and the feed from the browser."""
    return _asset("index.html")


@router.get("/thresholds")
def thresholds_page() -> FileResponse:
    """The bank's thresholds in force and their history, read-only (an admin changes them through the API)."""
    return _asset("thresholds.html")


@router.get("/find")
def find_page() -> FileResponse:
    """Finding incidents, closed ones too, by the filters of `GET /api/v1/incidents`."""
    return _asset("find.html")


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """One of the page's scripts, style sheets or icons."""
    return _asset(name)


@router.get("/web/settings")
def web_settings(app: Annotated[Services, Depends(services)]) -> dict[str, str]:
    """What the page needs of the server's settings: the zone its times are shown in (the bank's calendar)."""
    return {"time_zone": str(app.calendar)}
