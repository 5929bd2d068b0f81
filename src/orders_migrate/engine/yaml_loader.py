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


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
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
