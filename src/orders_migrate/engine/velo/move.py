"""``move``: a Velo field to where REST has it."""

from __future__ import annotations

from typing import Any

from ..context import Ctx, Spec, copied
from .base import NormStep, Place, VeloCode, VeloOperation, holder_of, make_holder


class Move(VeloOperation):
    """Each ``from`` path's value to the ``to`` path at the same position, in the same list element."""

    name = "move"

    def _plan(self, spec: Spec) -> tuple[tuple[Place, tuple[tuple[Place, Place, str, str, bool], ...]], ...]:
        sources = spec.one_read()
        targets = spec.one_write()
        if len(sources) != len(targets):
            raise spec.fail("'move' pairs each 'from' path with the 'to' path at the same position")
        pairs = tuple((Place(s, spec), Place(t, spec)) for s, t in zip(sources, targets, strict=True))
        for source, target in pairs:
            if source.head != target.head:
                raise spec.fail(f"'move' keeps a value in its list element: {source.path.text!r} -> {target.path.text!r}")
        # Consecutive pairs reading from the same object outside any list (billingInfo.firstName, .lastName,
        # ...) look that object up once; most of their keys are absent, and a key test is all they cost.
        groups: list[tuple[Place, list[tuple[Place, Place]]]] = []
        for source, target in pairs:
            last = groups[-1] if groups else None
            if last is not None and source.head is None and last[0].head is None and last[0].keys[:-1] == source.keys[:-1]:
                last[1].append((source, target))
            else:
                groups.append((source, [(source, target)]))
        # Each pair with its keys, and whether the value stays in the object it is in (an address's
        # addressLine -> addressLine1): then that object, at hand already, is where it goes.
        return tuple(
            (first, tuple((s, t, s.keys[-1], t.keys[-1], s.keys[:-1] == t.keys[:-1]) for s, t in group))
            for first, group in groups
        )

    def reference(self, spec: Spec) -> NormStep:
        plan = self._plan(spec)

        def step(order: dict[str, Any], ctx: Ctx, moved: dict[str, str]) -> None:
            for first, group in plan:
                for idx, scope in first.scopes(order):
                    holder = holder_of(scope, first.keys)
                    if holder is None:
                        continue
                    for source, target, skey, tkey, beside in group:
                        if skey not in holder:
                            continue
                        # An object or a list is the caller's own, not copied with the objects on the way as
                        # the order has them: a later row may change inside it where it goes.
                        value = copied(holder[skey])
                        # Where the target's object exists, this is it; where it does not, it is made on the
                        # way (an object already there is never replaced, so a REST twin is still found).
                        dest = holder if beside else make_holder(scope, target.keys)
                        if dest is None:
                            to = target.render(idx)
                            ctx.problem(source.render(idx), f"cannot move it to {to}: a value on the way is not an object", (to,))
                            continue
                        if tkey in dest:
                            to = target.render(idx)
                            ctx.problem(source.render(idx), f"mixes the REST and Velo dialects: {to} is there too", (to,))
                            continue
                        dest[tkey] = value
                        holder.pop(skey, None)
                        moved[target.render(idx)] = source.render(idx)

        return step

    def emit(self, spec: Spec, code: VeloCode) -> None:
        code.names["_copied"] = copied
        for first, group in self._plan(spec):
            at, scope, n = code.scopes(first, 1)
            at, holder = code.holder(at, scope, first.keys)
            for source, target, skey, tkey, beside in group:
                code.emit(at, f"if {skey!r} in {holder}:")
                s, t = code.render(source, n), code.render(target, n)
                value = code.fresh("v")
                code.emit(at + 1, f"{value} = {holder}[{skey!r}]")  # before the way to the target is made
                code.emit(at + 1, f"if {value}.__class__ is not str and isinstance({value}, (dict, list)):")
                code.emit(at + 2, f"{value} = _copied({value})")
                dest = holder
                if not beside:
                    dest = code.fresh("d")
                    code.emit(at + 1, f"{dest} = _make_holder({scope}, {code.const(target.keys)})")
                    code.emit(at + 1, f"if {dest} is None:")
                    way = code.render(target, n, "cannot move it to {}: a value on the way is not an object")
                    code.emit(at + 2, f"ctx.problem({s}, {way}, ({t},))")
                code.emit(at + 1, f"{'elif' if not beside else 'if'} {tkey!r} in {dest}:")
                twin = code.render(target, n, "mixes the REST and Velo dialects: {} is there too")
                code.emit(at + 2, f"ctx.problem({s}, {twin}, ({t},))")
                code.emit(at + 1, "else:")
                code.emit(at + 2, f"{dest}[{tkey!r}] = {value}")
                code.emit(at + 2, f"{holder}.pop({skey!r}, None)")
                code.emit(at + 2, f"moved[{t}] = {s}")
