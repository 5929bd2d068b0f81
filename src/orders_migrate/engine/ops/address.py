"""Operations of addresses and buyers: the address table applied where an address occurs (with or
without contact details), and the buyer's email, written once from the order's root."""

from __future__ import annotations

from typing import Any

from ...paths import MISSING, get, is_empty, put
from ...report import describe
from ..context import (
    Ctx,
    Spec,
    Step,
    writer,
)
from ..operation import Operation, proves


def op_address(spec: Spec) -> Step:
    (source,) = spec.one_read()
    (host_path,) = spec.one_write()
    contact = spec.param("contact", bool)
    steps = spec.address_steps[contact]

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        address = get(src, source)
        if address is MISSING or address is None:
            return
        if not isinstance(address, dict):
            ctx.problem(spec.render(source, idx), f"expected an address object, got {describe(address)}")
            return
        host = get(out, host_path)
        fresh = not isinstance(host, dict)
        if fresh:
            host = {}
        for sub in steps:
            sub(address, host, ctx, idx)
        if fresh and host:
            put(out, host_path, host)

    return step


def dropped_contact(spec: Spec) -> Step:
    sources = spec.one_read()

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        for p in sources:
            value = get(src, p)
            if is_empty(value):
                continue
            ctx.report(
                "dropped",
                spec.render(p, idx),
                "this eCommerce address has no contact details (a pickup address is the store's)",
                spec.row.id,
            )

    return step


def op_buyer_email(spec: Spec) -> Step:
    (source,) = spec.one_read()
    (target,) = spec.one_write()
    write = writer(spec, target, root=True)

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        value = get(src, source)
        if value is MISSING or value is None or value == "":
            return
        path = spec.at(source, idx)
        if not isinstance(value, str):
            ctx.problem(path, f"expected a string, got {describe(value)}")
            return
        write(out, value, ctx, idx, path)

    return step


OPERATIONS = (
    Operation("address", op_address, None, frozenset({"contact"}), search="address", nests=True),
    Operation("buyer_email", op_buyer_email, rooted=True, proves=proves("string")),
)
