"""``convert --filter``: pick the stored orders to migrate with the filter language of Stores Query Orders
(seed 004), evaluated locally on each stored order.

The fields are those the mapping table lets a query name (its ``search`` rows: ``paymentStatus``,
``dateCreated``, ``lineItems.productId``, ...), the operators Stores took (``$eq``, ``$ne``, ``$hasSome``,
``$hasAll``, ``$lt``, ``$lte``, ``$gt``, ``$gte``, ``$contains``, ``$startsWith``) with ``$and``, ``$or``
and ``$not``. A field through a list (``lineItems.name``) matches when an element does; dates compare as
instants, whether the filter gives ISO text or epoch milliseconds; numbers and amounts compare exactly
(Decimal); ``billingInfo.address.fullName`` is "first last". A field the order lacks matches only ``$ne``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson

from .jsonio import dumps, load_record
from .paths import key_step
from .report import ConversionError, describe

if TYPE_CHECKING:
    from .engine.plan import Plan
    from .query.fields import QueryField

OPERATORS = ("$eq", "$ne", "$hasSome", "$hasAll", "$lt", "$lte", "$gt", "$gte", "$contains", "$startsWith")
_LOGICAL = ("$and", "$or", "$not")

Test = Callable[[dict[str, Any]], bool]


class FilterError(ValueError):
    """A filter that cannot be evaluated, at its ``$.path`` inside the filter."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass(frozen=True)
class OrderFilter:
    """A compiled filter; it travels to worker processes as its text and compiles again there."""

    text: str
    test: Test
    plan: Plan | None = None  # whose fields it names (None: the shipped table's)
    canonical: str = ""  # the filter with its keys sorted and no spacing: what a checkpoint records

    def __reduce__(self) -> tuple[Callable[[str, Plan | None], OrderFilter], tuple[str, Plan | None]]:
        return compile_filter, (self.text, self.plan)

    def matches(self, order: dict[str, Any], plan: Plan | None = None) -> bool:
        """Whether a Stores order (REST or Velo: a Velo order is read in its REST shape) passes."""
        plan = plan or self.plan
        if plan is None:
            from .engine.compile import default_plan  # a filter is built before any plan is needed

            plan = default_plan()
        if "_id" in order or "_dateCreated" in order:
            from .engine.context import Ctx
            from .engine.dialect import detect_dialect

            try:
                if detect_dialect(order, plan.table) == "velo":
                    order, _ = plan.velo.apply(order, Ctx(None, None, {}))
            except ConversionError:
                pass  # the conversion reports the order's own problem
        return self.test(order)


def compile_filter(text: str, plan: Plan | None = None) -> OrderFilter:
    """The filter of ``text`` (a JSON object, as ``query.filter`` took it); ``FilterError`` names the place
    in the filter of a field the table does not know, an operator Stores did not take, or a bad value."""
    try:
        doc = load_record(text, "a filter object")
    except ConversionError as exc:
        raise FilterError("$", exc.problems[0].message) from None
    if isinstance(doc, str):  # the filter as Stores took it: a JSON text inside the JSON
        return compile_filter(doc, plan)
    if plan is None:
        from .engine.compile import default_plan

        plan = default_plan()
    fields = _fields(plan)
    return OrderFilter(text, _node(doc, "$", fields), plan, dumps(doc, option=orjson.OPT_SORT_KEYS).decode())


def _fields(plan: Plan) -> dict[str, QueryField]:
    from .query.fields import build_query_fields

    return dict(build_query_fields(plan.table))


def _node(doc: Any, at: str, fields: dict[str, QueryField]) -> Test:
    if not isinstance(doc, dict):
        raise FilterError(at, f"expected a filter object, got {describe(doc)}")
    tests: list[Test] = []
    for key, value in doc.items():
        where = at + key_step(key)
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise FilterError(where, f"expected a non-empty array of filters, got {describe(value)}")
            parts = [_node(v, f"{where}[{n}]", fields) for n, v in enumerate(value)]
            tests.append(_all(parts) if key == "$and" else _any(parts))
        elif key == "$not":
            tests.append(_negated(_node(value, where, fields)))
        elif key.startswith("$"):
            raise FilterError(where, f"unknown operator {key!r} here (a field, or one of {', '.join(_LOGICAL)})")
        elif key not in fields:
            raise FilterError(where, f"{key!r} is not a field Stores Query Orders could filter on ({', '.join(sorted(fields))})")
        else:
            tests.append(_field(key, value, where, fields[key]))
    return _all(tests)


def _check_value(field: QueryField, value: Any, at: str) -> None:
    """A value the field can never hold is the user's mistake, not an empty result: an enum value the
    table does not list, a number for a number, true or false for a flag (dates are checked as instants)."""
    documented = [*field.enum, *field.not_derivable]
    if documented and value not in documented:
        raise FilterError(at, f"{describe(value)} is not a value of {field.name} ({', '.join(documented)})")
    integer = isinstance(value, int) and not isinstance(value, bool)
    digits = isinstance(value, str) and value.isascii() and value.isdigit()
    if field.value == "to_string" and not (integer or digits):
        raise FilterError(at, f"{field.name} is a number, got {describe(value)}")
    if field.value_type == "boolean" and not isinstance(value, bool):
        raise FilterError(at, f"{field.name} is true or false, got {describe(value)}")


def _negated(test: Test) -> Test:
    return lambda order: not test(order)


def _all(tests: list[Test]) -> Test:
    return lambda order: all(t(order) for t in tests)


def _any(tests: list[Test]) -> Test:
    return lambda order: any(t(order) for t in tests)


def _field(name: str, condition: Any, at: str, field: QueryField) -> Test:
    conditions = condition if isinstance(condition, dict) and condition else {"$eq": condition}
    checks: list[Callable[[list[Any]], bool]] = []
    for op, value in conditions.items():
        where = at + key_step(op) if isinstance(condition, dict) else at
        if op not in OPERATORS:
            raise FilterError(where, f"unknown operator {op!r} (one of {', '.join(OPERATORS)})")
        listed = isinstance(value, list) and op in ("$hasSome", "$hasAll")
        for n, one in enumerate(value if listed else [value]):
            _check_value(field, one, f"{where}[{n}]" if listed else where)
        checks.append(_operator(op, value, where, field.value == "epoch_millis"))
    keys = name.split(".")
    return lambda order: all(check(_values(order, keys)) for check in checks)


def _operator(op: str, value: Any, at: str, dates: bool) -> Callable[[list[Any]], bool]:
    if op in ("$hasSome", "$hasAll"):
        if not isinstance(value, list) or not value:
            raise FilterError(at, f"{op} takes a non-empty array, got {describe(value)}")
        wanted = [_key(v, f"{at}[{n}]", dates) for n, v in enumerate(value)]
        if op == "$hasSome":
            return lambda found: any(_key(f, None, dates) in wanted for f in found)
        return lambda found: all(w in [_key(f, None, dates) for f in found] for w in wanted)
    if op in ("$contains", "$startsWith"):
        if not isinstance(value, str):
            raise FilterError(at, f"{op} takes a string, got {describe(value)}")
        needle = value.casefold()
        if op == "$contains":
            return lambda found: any(isinstance(f, str) and needle in f.casefold() for f in found)
        return lambda found: any(isinstance(f, str) and f.casefold().startswith(needle) for f in found)
    want = _key(value, at, dates)
    if op == "$eq":
        return lambda found: any(_key(f, None, dates) == want for f in found)
    if op == "$ne":
        return lambda found: not any(_key(f, None, dates) == want for f in found)
    compare: Callable[[Any, Any], bool] = _COMPARE[op]

    def ordered(found: list[Any]) -> bool:
        for f in found:
            got = _key(f, None, dates)
            if type(got) is type(want) and got is not None and compare(got, want):
                return True
        return False

    if not isinstance(want, (Decimal, str, datetime)):
        raise FilterError(at, f"{op} compares a number, an amount, a date or a text, got {describe(value)}")
    return ordered


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def _key(value: Any, at: str | None, dates: bool) -> Any:
    """A value as the filter compares it: an instant for a date field, an exact number for a number or an
    amount, the text itself otherwise. ``at`` (a filter value's place) makes a bad date an error."""
    if dates:
        moment = _instant(value)
        if moment is None and at is not None:
            raise FilterError(at, f"expected a date (ISO 8601 text or epoch milliseconds), got {describe(value)}")
        return moment
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return number if number.is_finite() and value.strip() == value else value
    return value


def _instant(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and value == value):
        try:
            return datetime.fromtimestamp(float(value) / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return None


def _values(order: Any, keys: list[str]) -> list[Any]:
    """Every value at ``keys`` (through any list on the way); a full name as "first last"."""
    found = [order]
    for key in keys:
        step: list[Any] = []
        for value in found:
            items = value if isinstance(value, list) else [value]
            step.extend(item[key] for item in items if isinstance(item, dict) and key in item)
        found = step
    out: list[Any] = []
    for value in found:
        if isinstance(value, list):
            out.extend(value)
        elif isinstance(value, dict) and keys[-1] == "fullName":
            out.append(" ".join(v for v in (value.get("firstName"), value.get("lastName")) if isinstance(v, str) and v))
        else:
            out.append(value)
    return out
