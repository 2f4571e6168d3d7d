"""YAML read within bounds: a hand-edited file, or one pasted from elsewhere, can be hostile.

Aliases are counted as the values they stand for, so an alias bomb ("billion laughs") is refused
before anything is built from it; nesting is limited before the (recursive) composer sees it; and
the file's size is bounded. Every refusal is a ConfigError of one line naming the file and line.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.errors import ConfigError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_VALUES = 100_000  # scalars, lists and mappings, each alias counted as everything it repeats
_OPENS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)


# libyaml's parser when PyYAML was built with it (the wheels are): the same documents, the same errors
# and line numbers, about ten times faster than the pure-Python one.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TextDatesLoader(SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that leaves dates and times as text, so validation (not the YAML parser) reads them
    and an impossible date such as 2026-12-32 is reported with its key and line."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CLOSES = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def load_bounded(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The composed document (for line numbers) and its data."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError(f"{source}: is larger than {MAX_BYTES // 1024} KiB; a business profile is far smaller")
    try:
        _check_depth(text, source)
        root = yaml.compose(text, Loader=TextDatesLoader)
        if root is not None:
            _check_expansion(root, source)
        return root, yaml.load(text, Loader=TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = str(getattr(exc, "problem", None) or exc).replace("\n", " ")
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None


def _check_depth(text: str, source: str) -> None:
    """The parser streams events without recursing, so nesting is measured before composing."""
    depth = 0
    # The pure-Python parser: libyaml refuses deep nesting itself, with a message that names no limit.
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(f"{source}:{event.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, _CLOSES):
            depth -= 1


def _check_expansion(root: yaml.Node, source: str) -> None:
    """How many values the document stands for once every alias is expanded, without expanding any."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_VALUES:
                raise ConfigError(f"{source}:{node.start_mark.line + 1}: its aliases expand to more than "
                                  f"{MAX_VALUES:,} values; write the values out instead")
            continue
        if key in in_progress:
            raise ConfigError(f"{source}:{node.start_mark.line + 1}: an alias refers to the list or mapping it is in")
        in_progress.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in in_progress:
                raise ConfigError(f"{source}:{child.start_mark.line + 1}: an alias refers to the list or mapping it is in")
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
