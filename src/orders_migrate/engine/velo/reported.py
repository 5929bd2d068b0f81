"""``dropped``: a Velo field eCommerce has no place for, taken out and reported."""

from __future__ import annotations

from typing import Any

from ...paths import is_empty
from ..context import Ctx, Spec
from .base import NormStep, Place, VeloCode, VeloOperation, holder_of


class Reported(VeloOperation):
    """Each ``from`` value taken out of the order and reported under ``kind`` with the row's ``reason``."""

    params = frozenset({"reason"})

    def __init__(self, kind: str):
        self.name = self.kind = kind

    def reference(self, spec: Spec) -> NormStep:
        places = tuple(Place(p, spec) for p in spec.one_read())
        reason = spec.param("reason", str)
        kind = self.kind

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for place in places:
                key = place.keys[-1]
                for idx, scope in place.scopes(order):
                    holder = holder_of(scope, place.keys)
                    if holder is None or key not in holder:
                        continue
                    value = holder.pop(key)
                    if not is_empty(value):
                        ctx.report(kind, place.render(idx), reason, spec.row.id)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        reason = code.const(spec.param("reason", str))
        for p in spec.one_read():
            place = Place(p, spec)
            key = place.keys[-1]
            at, scope, n = code.scopes(place, 1)
            at, holder = code.holder(at, scope, place.keys)
            code.emit(at, f"if {key!r} in {holder} and not _is_empty({holder}.pop({key!r})):")
            code.emit(at + 1, f"ctx.report({self.kind!r}, {code.render(place, n)}, {reason}, {spec.row.id!r})")
