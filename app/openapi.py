"""OpenAPI touch-ups: parameter examples where Swagger UI's "Try it out" looks for them, and
error responses filed under ``application/problem+json`` (the media type they are sent as)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.problems import PROBLEM_MEDIA_TYPE

__all__ = ["install_openapi"]


def _problem_content(responses: dict[str, Any]) -> None:
    """File each error response's schema under problem+json, and only there.

    FastAPI files a response model under the route's own media type (JSON, plain text, ...);
    errors are never sent as that.
    """
    for status, response in responses.items():
        content = response.get("content", {})
        filed = next(
            (c for m, c in content.items() if m != PROBLEM_MEDIA_TYPE and "schema" in c), None
        )
        if status[:1] in "45" and filed is not None:
            response["content"] = {
                PROBLEM_MEDIA_TYPE: {**content.get(PROBLEM_MEDIA_TYPE, {}), **filed}
            }


def install_openapi(app: FastAPI) -> None:
    """Copy each parameter's first schema example up to the parameter, and file error responses
    under problem+json (generated once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    _problem_content(operation.get("responses", {}))
                    for param in operation.get("parameters", []):
                        examples = param.get("schema", {}).get("examples")
                        if examples and "example" not in param:
                            param["example"] = examples[0]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
