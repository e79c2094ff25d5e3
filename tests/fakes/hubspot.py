"""A local server that speaks HubSpot's CRM v3 object API (the CRM's boundary): objects, search, errors."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeHubSpot:
    def __init__(self, token: str = "pat-test") -> None:
        self.token = token
        self.objects: dict[str, dict[str, dict[str, Any]]] = {"companies": {}, "contacts": {}, "deals": {}, "notes": {}}
        # (kind, id) -> {associated kind: [ids]}, as `?associations=` returns them
        self.associations: dict[tuple[str, str], dict[str, list[str]]] = {}
        self.unique = {"deals": "lto_deal_key", "notes": "lto_idempotency_key"}
        self.failures: list[tuple[int, dict[str, str]]] = []
        # Searches per object type that miss recent writes, as HubSpot's search index can.
        self.stale_searches: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []
        self._ids = itertools.count(1001)
        self.app = FastAPI()
        self.app.post("/crm/v3/objects/{kind}/search")(self._search)
        self.app.post("/crm/v3/objects/{kind}")(self._create)
        self.app.patch("/crm/v3/objects/{kind}/{object_id}")(self._update)
        self.app.get("/crm/v3/objects/{kind}/{object_id}")(self._read)

    def add(self, kind: str, object_id: str, properties: dict[str, Any], **associated: list[str]) -> None:
        """A record HubSpot holds (a contact a form created, its company), with its associations."""
        self.objects.setdefault(kind, {})[object_id] = dict(properties)
        self.associations[(kind, object_id)] = associated

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"Retry-After": retry_after} if retry_after else {}
        self.failures += [(status, headers)] * times

    def _gate(self, request: Request) -> JSONResponse | None:
        self.requests.append((request.method, request.url.path))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"status": "error", "category": "INVALID_AUTHENTICATION"}, 401)
        if self.failures:
            status, headers = self.failures.pop(0)
            return JSONResponse({"status": "error", "message": "injected"}, status, headers=headers)
        return None

    async def _search(self, kind: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        body = await request.json()
        if self.stale_searches.get(kind):
            self.stale_searches[kind] -= 1
            return JSONResponse({"total": 0, "results": []})
        flt = body["filterGroups"][0]["filters"][0]
        found = [
            {"id": object_id, "properties": props}
            for object_id, props in self.objects.get(kind, {}).items()
            if str(props.get(flt["propertyName"])) == str(flt["value"])
        ]
        return JSONResponse({"total": len(found), "results": found[: body.get("limit", 10)]})

    async def _create(self, kind: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        props = (await request.json())["properties"]
        unique = self.unique.get(kind)
        if unique and any(o.get(unique) == props.get(unique) for o in self.objects[kind].values()):
            return JSONResponse({"status": "error", "message": f"{unique} already exists", "category": "CONFLICT"}, 409)
        object_id = str(next(self._ids))
        self.objects[kind][object_id] = dict(props)
        return JSONResponse({"id": object_id, "properties": props}, 201)

    async def _update(self, kind: str, object_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        if object_id not in self.objects.get(kind, {}):
            return JSONResponse({"status": "error", "category": "OBJECT_NOT_FOUND"}, 404)
        self.objects[kind][object_id].update((await request.json())["properties"])
        return JSONResponse({"id": object_id, "properties": self.objects[kind][object_id]})

    async def _read(self, kind: str, object_id: str, request: Request) -> JSONResponse:
        if (refused := self._gate(request)) is not None:
            return refused
        record = self.objects.get(kind, {}).get(object_id)
        if record is None:
            return JSONResponse({"status": "error", "category": "OBJECT_NOT_FOUND"}, 404)
        wanted = request.query_params.get("properties", "").split(",")
        body: dict[str, Any] = {"id": object_id, "properties": {k: v for k, v in record.items() if k in wanted}}
        linked = self.associations.get((kind, object_id), {})
        kinds = [k for k in request.query_params.get("associations", "").split(",") if k in linked]
        if kinds:
            body["associations"] = {
                k: {"results": [{"id": i, "type": f"{kind[:-1]}_to_{k[:-1]}"} for i in linked[k]]} for k in kinds
            }
        return JSONResponse(body)
