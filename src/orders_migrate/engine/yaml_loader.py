"""The YAML reading of a mapping table, imported only when a table's text is parsed: a process that finds
the parse in its cache (engine/cache.py: every start after the first) never imports PyYAML at all."""

from __future__ import annotations

from typing import Any

import yaml

from .table import MappingError

# libyaml's loader (in PyYAML's wheels) reads the table ten times faster than the pure-Python one: most
# of a process's start-up before. Both build the same rows; where libyaml is missing the pure one does.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that records each mapping's line; safe loading refuses Python object tags."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _refuse_repeated_keys(loader: _LineLoader, node: yaml.MappingNode) -> None:
    """YAML keeps the last of two equal keys: a row with two ``to:`` would lose the first target without a
    word, and a rule that is not in the table does not exist. A key merged in (``<<: *row``) may be
    overridden: that is what merging is for."""
    first: dict[Any, int] = {}
    for key_node, _value in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            earlier = first.setdefault(key, line)
        except TypeError:
            continue  # an unhashable key: construct_mapping refuses it in its own words
        if key == "__line__":
            raise yaml.constructor.ConstructorError(
                None, None, "the key '__line__' is the loader's own (each mapping's line)", key_node.start_mark
            )
        if earlier != line:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the key {key!r} repeats the one on line {earlier}: YAML would keep only the last",
                key_node.start_mark,
            )


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    _refuse_repeated_keys(loader, node)
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, source: str) -> Any:  # noqa: ANN401 - any YAML document
    """The document of ``text``; YAML that does not parse is a ``MappingError`` at its line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise MappingError(source, line, None, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
