"""``decimal_text``: Velo's JSON numbers as the decimal strings REST carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..context import Ctx, Spec
from .base import NormStep, Place, VeloCode, VeloOperation, decimal_text


class DecimalTextOp(VeloOperation):
    """Each ``from`` number (Velo's 101.5) as the decimal string REST carries ("101.5"), in place."""

    name = "decimal_text"

    def _plan(self, spec: Spec) -> tuple[tuple[Place, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]], ...]:
        # The paths grouped by the list they run over, then by the object holding them, so each list is
        # walked once and each holder (totals, priceData) is looked up once for all its keys.
        groups: dict[tuple[str, ...] | None, tuple[Place, dict[tuple[str, ...], list[str]]]] = {}
        for p in spec.one_read():
            place = Place(p, spec)
            first, holders = groups.setdefault(place.head, (place, {}))
            holders.setdefault(place.keys[:-1], []).append(place.keys[-1])
        return tuple(
            (first, tuple((parents, tuple(keys)) for parents, keys in holders.items())) for first, holders in groups.values()
        )

    def reference(self, spec: Spec) -> NormStep:
        plan = self._plan(spec)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for first, holders in plan:
                for _, scope in first.scopes(order):
                    for parents, keys in holders:
                        holder: Any = scope
                        for parent in parents:
                            holder = holder.get(parent) if isinstance(holder, dict) else None
                        if not isinstance(holder, dict):
                            continue
                        for key in keys:
                            value = holder.get(key)
                            if value is None or value.__class__ is str:
                                continue
                            if value.__class__ is Decimal and value.is_finite() and -1000 < value.adjusted() < 1000:
                                text = str(value)  # decimal_text's common case, without the call: most amounts
                                holder[key] = text if "E" not in text else format(value, "f")
                                continue
                            text = decimal_text(value)
                            if text is not value:
                                holder[key] = text

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        for first, holders in self._plan(spec):
            at, scope, _ = code.scopes(first, 1)
            for parents, keys in holders:
                inner, holder = code.holder(at, scope, (*parents, ""))
                for key in keys:
                    v = code.fresh("v")
                    code.emit(inner, f"{v} = {holder}.get({key!r})")
                    # decimal_text's common case without the call (most amounts), then the call, which gives
                    # back what it does not change: storing that again changes nothing.
                    code.emit(inner, f"if {v}.__class__ is Decimal and {v}.is_finite() and -1000 < {v}.adjusted() < 1000:")
                    code.emit(inner + 1, f"{holder}[{key!r}] = t if 'E' not in (t := str({v})) else format({v}, 'f')")
                    code.emit(inner, f"elif {v} is not None and {v}.__class__ is not str:")
                    code.emit(inner + 1, f"{holder}[{key!r}] = _decimal_text({v})")
