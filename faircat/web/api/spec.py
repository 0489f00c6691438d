"""Operations declared as data: one call registers the Flask route and its OpenAPI entry.

``operation(bp, "/experiments/{label}", summary=..., params=[...], response=SCHEMA)`` adds
the route (``{label}`` becomes ``<label>``, ``{id}`` becomes ``<id:id>``) and records the
path, its parameters and the response schema; :func:`document` builds OpenAPI 3.1 from what
was recorded. Error answers share one schema (``{"error", "message"}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str
    where: str = "query"  # or "path"
    required: bool = False


@dataclass
class Registry:
    operations: list[dict[str, Any]] = field(default_factory=list)


REGISTRY = Registry()


def _flask_rule(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}", lambda m: f"<id:{m.group(1)}>" if m.group(1) == "id" else f"<{m.group(1)}>",
        path,
    )


def operation(
    bp: Blueprint,
    path: str,
    *,
    summary: str,
    response: dict[str, Any],
    params: tuple[Param, ...] = (),
    tag: str = "catalogue",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(_flask_rule(path), view.__name__, view, methods=["GET"])
        REGISTRY.operations.append(
            {
                "path": path,
                "id": view.__name__,
                "summary": summary,
                "description": (view.__doc__ or "").strip(),
                "params": params,
                "response": response,
                "tag": tag,
            }
        )
        return view

    return register


def _parameter(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.where,
        "required": param.where == "path" or param.required,
        "description": param.description,
        "schema": param.schema,
    }


def document(prefix: str, title: str, version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in REGISTRY.operations:
        errors = {
            "400": "a parameter cannot be used (the message names it)",
            "401": "the token is unknown, revoked or expired",
            "404": "no such object, or one the caller may not read",
        }
        responses: dict[str, Any] = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": op["response"]}},
            }
        }
        for status, text in errors.items():
            responses[status] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths[prefix + op["path"]] = {
            "get": {
                "operationId": op["id"],
                "summary": op["summary"],
                "description": op["description"],
                "tags": [op["tag"]],
                "parameters": [_parameter(p) for p in op["params"]],
                "responses": responses,
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Experiments, datasets, files, parameters and samples a caller may "
            "read: public data for everyone, restricted data with a portal session or an API "
            "token (Authorization: Bearer). Lists are keyset-paged: pass the `next` value of a "
            "page as `after` to get the next one.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "faircat API token"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
        "security": [{}, {"token": []}, {"session": []}],
    }
