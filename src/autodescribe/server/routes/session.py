"""Sign in for browsers: trade the bearer token for an HttpOnly cookie.

Media elements (`<video>`, `<track>`) cannot send an Authorization header, so
the web app signs in once; the cookie is SameSite=Strict, which keeps other
sites from using it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from autodescribe.server.routes import settings_of
from autodescribe.server.schemas import Problem, SessionRequest
from autodescribe.server.security import COOKIE, token_matches

router = APIRouter(prefix="/v1/session", tags=["session"])


@router.get("", summary="Whether this server needs a token")
def session_info(request: Request) -> dict[str, bool]:
    return {"token_required": settings_of(request).token is not None}


@router.post(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"model": Problem}, 401: {"model": Problem}},
    summary="Sign in with the token; sets a cookie",
)
def sign_in(request: Request, body: SessionRequest) -> Response:
    expected = settings_of(request).token
    if not token_matches(expected, body.token):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong token; ask whoever runs the server"
        )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if expected is not None:
        response.set_cookie(
            COOKIE,
            body.token,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out")
def sign_out() -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path="/")
    return response
