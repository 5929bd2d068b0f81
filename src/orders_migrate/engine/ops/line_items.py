"""Operations of the line items: Wix's id from the Stores index, the description lines and catalog options
from the option lists, and which items a coupon's discount applies to.

Past 400 lines because each of the three option-list operations keeps its reference step beside its code
emitter, which spells out the same lists; splitting them would part the two halves of one meaning."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from ...money import MoneyError, parse_amount
from ...paths import MISSING, Path, get, index_step, is_empty, key_step
from ...report import describe
from ..code import CodeBuilder
from ..context import (
    Ctx,
    Spec,
    Step,
    is_int,
    writer,
    writers,
)
from ..operation import Operation, Proof, ReadStep, RowCode, emit_read_step, proves
from ..table import Row

# The last group of a GUID holds 12 digits: a larger index would make an id that is not a GUID.
MAX_LINE_ITEM_INDEX: Final = 999_999_999_999


_GUID = "00000000-0000-0000-0000-%012d"


def line_item_guid(index: int) -> str:
    """Wix's own rule: Stores line-item index 1 is eCommerce id 00000000-0000-0000-0000-000000000001."""
    if not 0 <= index <= MAX_LINE_ITEM_INDEX:
        raise ValueError(f"line-item index {index} has no GUID: it must be 0 to {MAX_LINE_ITEM_INDEX}")
    return _GUID % index


def _index_of(item: Any, position: int) -> int:
    # An index the line-item-id row refuses fails the order; the position only stands in for a missing one.
    index = item.get("index") if isinstance(item, dict) else None
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= MAX_LINE_ITEM_INDEX:
        return index
    return position + 1


class _LineItemId(ReadStep):
    __slots__ = ("writes", "seen_key")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("value",))
        if len(self.paths[0]) != 1:
            raise spec.fail("line_item_id reads one 'from' path")
        self.writes = writers(spec, spec.one_write())
        self.seen_key = f"{spec.row.id}:seen"

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        ((index,),) = values
        path = spec.at(self.paths[0][0], idx)
        position = idx[-1] if idx else 0
        if index is MISSING or index is None:
            index = position + 1
            ctx.report(
                "not_derivable",
                path,
                f"no index: the id follows the position ({line_item_guid(index)}); Wix's own id cannot be known",
                spec.row.id,
            )
        elif not is_int(index) or index < 0:
            ctx.problem(path, f"expected a non-negative integer, got {describe(index)}")
            return
        elif index > MAX_LINE_ITEM_INDEX:
            ctx.problem(
                path, f"index {index} is too large for a line-item id: its GUID holds 12 digits (at most {MAX_LINE_ITEM_INDEX})"
            )
            return
        seen = ctx.seen.get(self.seen_key)
        if seen is None:
            seen = ctx.seen[self.seen_key] = {}
        if index in seen:
            first = str(spec.at(self.paths[0][0], seen[index]))
            ctx.problem(path, f"index {index} repeats {first}: line-item ids would collide", (first,))
            return
        seen[index] = idx  # where the index was first: rendered only when it repeats
        guid = line_item_guid(index)
        for w in self.writes:
            w(out, guid, ctx, idx, path)


def op_line_item_id(spec: Spec) -> Step:
    return _LineItemId(spec)


def emit_line_item_id(src: CodeBuilder, rc: RowCode) -> bool:
    """Wix's id from the index, inline for an index not seen before in the order; anything else (no
    index, a bad one, a repeat) is the step's own call."""
    row, step, at = rc.row, rc.bare, rc.at
    if not isinstance(step, _LineItemId) or len(step.paths[0]) != 1:
        return emit_read_step(src, rc)
    (path,) = step.paths[0]
    targets = list(step.spec.writes.get("value", ()))
    if not path.plain or len(targets) != 1 or not targets[0].plain:
        return False
    v = src.read(path)
    key = src.const(f"{row.id}:seen")
    # Only an index that makes a GUID is spelled out; the step's own call refuses the others.
    valid = f"{v}.__class__ is int and 0 <= {v} <= {MAX_LINE_ITEM_INDEX}"
    src.emit(at, f"s = ctx.seen.get({key}) if {valid} else None")
    src.emit(at, f"if s is None and {valid}:")
    src.emit(at + 1, f"s = ctx.seen[{key}] = {{}}")
    src.emit(at, f"if s is None or {v} in s:")
    src.emit(at + 1, f"{src.const(step)}.run((({v},),), out, ctx, idx)")
    src.emit(at, "else:")
    src.emit(at + 1, f"s[{v}] = idx")
    src.put(at + 1, f"{_GUID!r} % {v}", targets[0])  # line_item_guid: the range is tested above
    return True


def _text(value: Any) -> dict[str, str]:
    return {"original": value, "translated": value}


def _pairs(
    spec: Spec, items: Any, path: Path | None, keys: tuple[str, str], ctx: Ctx, idx: tuple[int, ...]
) -> list[tuple[str, str]] | None:
    """``[{option, selection}]``-style lists (the value ``items`` read at ``path``) as (name, value)
    pairs; None when absent."""
    if path is None or items is MISSING or items is None:
        return None
    if not isinstance(items, list):
        ctx.problem(spec.render(path, idx), f"expected an array, got {describe(items)}")
        return None
    pairs = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            ctx.problem(
                spec.render(path, idx) + index_step(n), f"expected {{{keys[0]}: string, {keys[1]}: string}}, got {describe(item)}"
            )
            continue
        name, value = item.get(keys[0], ""), item.get(keys[1], "")
        wrong = [key for key, v in zip(keys, (name, value), strict=True) if not isinstance(v, str)]
        for key in wrong:  # at the field itself, the deepest path that explains it
            ctx.problem(spec.render(path, idx) + index_step(n) + key_step(key), f"expected a string, got {describe(item[key])}")
        if not wrong:
            pairs.append((name, value))
    return pairs


def _one(paths: tuple[Path, ...]) -> Path | None:
    return paths[0] if paths else None


def _only(values: tuple[Any, ...]) -> Any:
    return values[0] if values else MISSING


def _pair_keys(spec: Spec, role: str) -> tuple[str, str]:
    """The two keys of a ``[{name, value}]`` list (``option``/``selection``), from the row's ``pairs``."""
    keys = spec.param("pairs", dict).get(role)
    if not (isinstance(keys, list) and len(keys) == 2 and all(isinstance(k, str) for k in keys)):
        raise spec.fail(f"'pairs' needs {role}: [name key, value key]")
    return keys[0], keys[1]


class _DescriptionLines(ReadStep):
    __slots__ = ("keys", "write", "line_type", "anchor", "text_keys")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("options", "customTextFields", "notes"))
        self.keys = (_pair_keys(spec, "options"), _pair_keys(spec, "customTextFields"))
        self.write = writer(spec, spec.one_write()[0])
        self.line_type = spec.param("line_type", str)
        self.text_keys = _text_keys(spec.row)
        if not self.text_keys or not all(isinstance(k, str) for k in self.text_keys):
            raise spec.fail("'text_keys' lists the keys a line's text is written under, e.g. [plainText, plainTextValue]")
        anchor = next((ps[0] for ps in self.paths if ps), None)
        if anchor is None:
            raise spec.fail("description_lines needs options, customTextFields or notes in 'from'")
        self.anchor = anchor

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        lines: list[dict[str, Any]] = []
        present = False
        for n in (0, 1):
            items = values[n][0] if values[n] else MISSING
            if items is MISSING or items is None:
                continue
            pairs = _pairs(spec, items, self.paths[n][0], self.keys[n], ctx, idx)
            if pairs is not None:
                present = True
                lines.extend(self.line(name, value) for name, value in pairs)
        notes = _one(self.paths[2])
        note = _only(values[2])
        if isinstance(note, str) and note:
            present = True
            lines.append(self.line("", note))
        elif notes is not None and not is_empty(note):
            ctx.problem(spec.render(notes, idx), f"expected a string, got {describe(note)}")
        if present:  # only an agreeing write names the path
            self.write(out, lines, ctx, idx, spec.at(self.anchor, idx) if spec.row.agree else "")

    def line(self, name: str, text: str) -> dict[str, Any]:
        """One line as Wix returns it: the text under its first key, then the type, then the text again
        under each further key (plainTextValue, the newer name)."""
        first, *more = self.text_keys
        out: dict[str, Any] = {"name": _text(name), first: _text(text), "lineType": self.line_type}
        for key in more:
            out[key] = _text(text)
        return out


def _text_keys(row: Row) -> tuple[str, ...]:
    keys = row.params.get("text_keys", ["plainText"])
    return tuple(keys) if isinstance(keys, list) else ()


def op_description_lines(spec: Spec) -> Step:
    return _DescriptionLines(spec)


class _CatalogOptions(ReadStep):
    __slots__ = ("keys", "write")

    def __init__(self, spec: Spec):
        super().__init__(spec, ("options", "variantId", "customTextFields"))
        self.keys = (_pair_keys(spec, "options"), _pair_keys(spec, "customTextFields"))
        self.write = writer(spec, spec.one_write()[0])

    def run(self, values: tuple[tuple[Any, ...], ...], out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        spec = self.spec
        (options, variant, fields) = self.paths
        result: dict[str, Any] = {}
        opts = _pairs(spec, _only(values[0]), _one(options), self.keys[0], ctx, idx)
        if opts is not None:
            result["options"] = dict(opts)
        vid = _only(values[1])
        if vid is not MISSING and vid is not None:
            if not isinstance(vid, str):
                ctx.problem(spec.render(variant[0], idx), f"expected a string, got {describe(vid)}")
            else:
                result["variantId"] = vid
        texts = _pairs(spec, _only(values[2]), _one(fields), self.keys[1], ctx, idx)
        if texts:
            result["customTextFields"] = dict(texts)
        # An empty options list alone says nothing: a custom-amount item keeps an empty catalogReference.
        if result.get("options") or "variantId" in result or texts:
            self.write(out, result, ctx, idx, "")


def op_catalog_options(spec: Spec) -> Step:
    return _CatalogOptions(spec)


def _emit_pair_loop(g: CodeBuilder, at: int, items: str, keys: tuple[str, str], add: list[str]) -> None:
    """A ``[{name, value}]`` list read in the common case (objects of two strings), ``add`` run for each
    pair (``x``, ``y``); anything else clears ``ok`` and stops, for the step's own call to word."""
    g.emit(at, f"for it in {items}:")
    g.emit(at + 1, "if it.__class__ is not dict:")
    g.emit(at + 2, "ok = False")
    g.emit(at + 2, "break")
    g.emit(at + 1, f"x = it.get({keys[0]!r}, '')")
    g.emit(at + 1, f"y = it.get({keys[1]!r}, '')")
    g.emit(at + 1, "if x.__class__ is not str or y.__class__ is not str:")
    g.emit(at + 2, "ok = False")
    g.emit(at + 2, "break")
    for n, line in enumerate(add):
        g.emit(at + 1 + (0 < n < len(add) - 1), line)


def _pair_helper(
    src: CodeBuilder,
    rc: RowCode,
    stem: str,
    step: ReadStep,
    kinds: tuple[str, str, str],
    body: Callable[[CodeBuilder, list[str]], str],
) -> bool:
    """A generated helper ``stem(a, b, c, out, ctx, idx)`` of the values the scope read: when each is absent
    or of its class in ``kinds``, ``body`` spells the common case into ``r`` and ``ok`` and returns when
    ``r`` is to be written; otherwise the step's ``run`` is called, which words every problem."""
    if any(len(ps) > 1 for ps in step.paths) or not all(p.plain for ps in step.paths for p in ps):
        return False
    (target,) = step.spec.one_write()
    if not target.plain:
        return False
    name = src.fresh(stem)
    args = ["a", "b", "c"]
    g = CodeBuilder()
    g.names = src.names
    g.counter = src.counter
    g.emit_if(1, [f"({a} is MISSING or {a}.__class__ is {kind})" for a, kind in zip(args, kinds, strict=True)], "and")
    written = body(g, args)
    g.emit(2, "if ok:")
    g.emit(3, f"if {written}:")
    g.put(4, "r", target)
    g.emit(3, "return")
    g.emit(1, f"{src.const(step)}.run(((a,), (b,), (c,)), out, ctx, idx)")
    src.counter = g.counter
    src.extra.append(f"def {name}(a, b, c, out, ctx, idx):")
    src.extra.extend(g.lines)
    inputs = ", ".join(src.read(ps[0]) if ps else "MISSING" for ps in step.paths)
    src.emit(rc.at, f"{name}({inputs}, out, ctx, idx)")
    return True


def emit_description_lines(src: CodeBuilder, rc: RowCode) -> bool:
    """Options, custom text fields and a note as description lines, spelled out when they are lists of
    string pairs and a string; any other shape is the step's call."""
    step = rc.bare
    if not isinstance(step, _DescriptionLines):
        return False
    line_type = src.const(step.line_type)

    def body(g: CodeBuilder, args: list[str]) -> str:
        a, b, c = args
        g.emit(2, "r = []")
        g.emit(2, "ok = True")

        first, *more = step.text_keys

        def line(name: str, text: str) -> list[str]:
            # The keys in the order the step writes them: the text, the type, the text under its newer names.
            texts = [f"{key!r}: {{'original': {text}, 'translated': {text}}}," for key in more]
            return [
                "r.append({",
                f"'name': {{'original': {name}, 'translated': {name}}},",
                f"{first!r}: {{'original': {text}, 'translated': {text}}},",
                f"'lineType': {line_type},",
                *texts,
                "})",
            ]

        for var, keys in ((a, step.keys[0]), (b, step.keys[1])):
            g.emit(2, f"if ok and {var} is not MISSING:")
            _emit_pair_loop(g, 3, var, keys, line("x", "y"))
        g.emit(2, f"if ok and {c} is not MISSING and {c}:")
        note = line("''", c)
        for n, text in enumerate(note):
            g.emit(3 + (0 < n < len(note) - 1), text)
        return f"{a} is not MISSING or {b} is not MISSING or r"

    return _pair_helper(src, rc, "description_lines", step, ("list", "list", "str"), body)


def emit_catalog_options(src: CodeBuilder, rc: RowCode) -> bool:
    """The catalog reference's options, variant and custom text fields, spelled out for lists of string
    pairs and a string variant id; any other shape is the step's call."""
    step = rc.bare
    if not isinstance(step, _CatalogOptions):
        return False

    def body(g: CodeBuilder, args: list[str]) -> str:
        a, b, c = args
        g.emit(2, "r = {}")
        g.emit(2, "ok = True")
        g.emit(2, f"if {a} is not MISSING:")
        g.emit(3, "o = r['options'] = {}")
        _emit_pair_loop(g, 3, a, step.keys[0], ["o[x] = y"])
        g.emit(2, f"if {b} is not MISSING:")
        g.emit(3, f"r['variantId'] = {b}")
        g.emit(2, f"if ok and {c} is not MISSING:")
        g.emit(3, "t = {}")
        _emit_pair_loop(g, 3, c, step.keys[1], ["t[x] = y"])
        g.emit(3, "if t:")
        g.emit(4, "r['customTextFields'] = t")
        return "r.get('options') or 'variantId' in r or 'customTextFields' in r"

    return _pair_helper(src, rc, "catalog_options", step, ("list", "str", "list"), body)


def op_discount_scope(spec: Spec) -> Step:
    (discount,) = spec.one_read("discounts")
    split = discount.split_each()
    if split is None:
        raise spec.fail("'discounts' must name a line-item field, e.g. lineItems[i].discount")
    items_path, amount_path = split
    write_ids = writer(spec, spec.one_write("ids")[0])
    types = spec.param("types", dict)
    some_items, no_items = types.get("some_items"), types.get("no_items")
    if not (isinstance(some_items, str) and isinstance(no_items, str)):
        raise spec.fail("'types' needs some_items and no_items: the discountType for each case")
    write_type = writer(spec, spec.one_write("type")[0])

    def step(src: Any, out: dict[str, Any], ctx: Ctx, idx: tuple[int, ...]) -> None:
        items = get(src, items_path)
        if not isinstance(items, list):
            return
        ids = []
        for n, item in enumerate(items):
            value = get(item, amount_path)
            if value is MISSING or value is None:
                continue
            try:
                if parse_amount(value)[1] > 0:
                    ids.append(line_item_guid(_index_of(item, n)))
            except MoneyError:
                continue  # line-discount reports it
        if ids:
            write_ids(out, ids, ctx, idx, "")
        write_type(out, some_items if ids else no_items, ctx, idx, "")

    return step


def _line_constants(row: Row) -> Iterable[tuple[Path, Any]]:
    first, *more = _text_keys(row) or ("plainText",)
    line = {"name": _text("a"), first: _text("b"), "lineType": row.params.get("line_type")}
    line.update({key: _text("b") for key in more})
    return [(target, [line]) for target in row.writes.get("value", ())]


def _scope_constants(row: Row) -> Iterable[tuple[Path, Any]]:
    types = row.params.get("types")
    values = list(types.values()) if isinstance(types, dict) else []
    return [(target, value) for target in row.writes.get("type", ()) for value in values]


def _scope_proves(_row: Row, role: str) -> Proof | None:
    return "strings" if role == "ids" else "constants"


OPERATIONS = (
    Operation("line_item_id", op_line_item_id, emit_line_item_id, proves=proves("string")),
    Operation(
        "description_lines",
        op_description_lines,
        emit_description_lines,
        frozenset({"pairs", "line_type", "text_keys"}),
        constants=_line_constants,
        proves=proves("shaped"),  # the names and texts are checked to be strings; lineType is the row's
    ),
    Operation("catalog_options", op_catalog_options, emit_catalog_options, frozenset({"pairs"}), proves=proves("object")),
    Operation(
        "discount_scope",
        op_discount_scope,
        None,
        frozenset({"types"}),
        iterates=True,
        constants=_scope_constants,
        proves=_scope_proves,
    ),
)
