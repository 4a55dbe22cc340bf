"""The service's OpenAPI document, written as OpenAPI 3.0 (what the landing page advertises with
``application/vnd.oai.openapi+json;version=3.0`` and what GDAL and OGC clients read).

FastAPI writes OpenAPI 3.1 with JSON Schema 2020-12 schemas; :func:`to_openapi_30` rewrites the
few constructs 3.0 spells differently (``null`` types become ``nullable``, ``const`` an
``enum``, ``examples`` lists an ``example``, numeric ``exclusiveMinimum`` a boolean flag).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

OPENAPI_30 = "3.0.3"
OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _schema_30(node: Any) -> Any:
    if isinstance(node, list):
        return [_schema_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _schema_30(value) for key, value in node.items()}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and any(o == {"type": "null"} for o in options):
            rest = [o for o in options if o != {"type": "null"}]
            del out[key]
            out["nullable"] = True
            if len(rest) == 1 and "$ref" not in rest[0]:
                out = {**rest[0], **out}
            elif len(rest) == 1:
                out["allOf"] = rest
            elif rest:
                out[key] = rest
    kind = out.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) < len(kind):
            out["nullable"] = True
        if len(kinds) == 1:
            out["type"] = kinds[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in kinds]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    examples = out.get("examples")
    if isinstance(examples, list):
        del out["examples"]
        if examples:
            out["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[plain] = value
            out[bound] = True
    for key in ("$schema", "$id", "contentMediaType", "contentEncoding"):
        out.pop(key, None)
    return out


def to_openapi_30(
    document: dict[str, Any], extra_schemas: Mapping[str, type[BaseModel]] | None = None
) -> dict[str, Any]:
    """A copy of a FastAPI (3.1) OpenAPI document rewritten as OpenAPI 3.0; ``extra_schemas``
    are models referenced by hand-written parts of the document (``#/components/schemas/X``)."""
    doc = copy.deepcopy(document)
    doc["openapi"] = OPENAPI_30
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, model in (extra_schemas or {}).items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for sub_name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(sub_name, sub)
        schemas.setdefault(name, schema)
    for name, schema in list(schemas.items()):
        schemas[name] = _schema_30(schema)
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                if "schema" in param:
                    param["schema"] = _schema_30(param["schema"])
            for holder in [
                operation.get("requestBody", {}),
                *operation.get("responses", {}).values(),
            ]:
                for media in holder.get("content", {}).values():
                    if "schema" in media:
                        media["schema"] = _schema_30(media["schema"])
    return doc


EXCEPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: the OGC API exception code and a message for a person.",
    "required": ["code", "description"],
    "properties": {
        "code": {"type": "string"},
        "description": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "The fields at fault (request bodies).",
            "items": {"type": "object"},
        },
    },
}


#: Path prefixes of the operations that read the results file (503 while it is unavailable).
RESULTS_PATHS: tuple[str, ...] = ("/collections", "/parks", "/runs", "/ranking", "/inspections")
#: Path prefixes of the operations only a store of runs answers (409 for a results file).
STORE_PATHS: tuple[str, ...] = ("/inspections",)


def describe_errors_and_formats(doc: dict[str, Any]) -> dict[str, Any]:
    """Document what the service really answers, each error with the ``Exception`` schema:
    400 for a bad query parameter (every operation rejects unknown ones), 404 where a path
    names something or a ``run`` parameter may name no run, 408, 413 and 422 for request
    bodies only (FastAPI lists 422 everywhere), 503 where the results are read, 409 where only a
    store of runs answers; and HTML where
    ``f=html`` is offered."""
    doc.setdefault("components", {}).setdefault("schemas", {})["Exception"] = EXCEPTION_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Exception"}}}

    def answer(text: str) -> dict[str, Any]:
        return {"description": text, "content": error}

    for path, path_item in doc.get("paths", {}).items():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            responses.pop("422", None)
            responses["400"] = answer("A query parameter is unknown, repeated or wrong.")
            if any(p.get("in") == "path" or p.get("name") == "run" for p in params):
                responses["404"] = answer("No such resource (or no such run).")
            if "requestBody" in operation:
                responses["408"] = answer("The body did not arrive in time.")
                responses["413"] = answer("The body is larger than the service accepts.")
                responses["422"] = answer("The body cannot be used (names the field at fault).")
            if path.startswith(RESULTS_PATHS):
                responses["503"] = answer("The results are missing or cannot be read.")
            if path.startswith(STORE_PATHS):
                responses["409"] = answer(
                    "The service serves a results file: inspections need a store of runs "
                    "(landuse serve --store runs.sqlite)."
                )
            if any(p.get("in") == "query" and p.get("name") == "f" for p in params):
                ok = responses.setdefault("200", {"description": "OK"})
                ok.setdefault("content", {}).setdefault("text/html", {"schema": {"type": "string"}})
    return doc
