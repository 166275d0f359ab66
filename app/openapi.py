"""OpenAPI touch-ups: parameter examples where Swagger UI's "Try it out" looks for them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["install_openapi"]


def install_openapi(app: FastAPI) -> None:
    """Copy each parameter's first schema example up to the parameter (generated once)."""

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
                    for param in operation.get("parameters", []):
                        examples = param.get("schema", {}).get("examples")
                        if examples and "example" not in param:
                            param["example"] = examples[0]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
