"""YAML as the analyst writes it (settings, mappings, world files, batch configs): a key given twice is an error.

PyYAML keeps the last of two equal keys without a word, so a world file with
``size_peak`` twice would silently use the second. Here the second is a YAML error naming
its line, like any other mistake in the file.
"""

from __future__ import annotations

import yaml


class RepeatedKey(yaml.YAMLError):
    """A mapping gives one key twice: says which key and on which line."""

    def __init__(self, key: object, mark: yaml.Mark):
        self.problem = f"key {key!r} is given twice (only one value can hold; remove the other)"
        self.problem_mark = mark
        super().__init__(f"line {mark.line + 1}: {self.problem}")


class UniqueKeyLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping that gives one key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """The mapping, or RepeatedKey at the repeated key's line."""
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise RepeatedKey(key, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def safe_load(text: str) -> object:
    """Parse YAML ``text`` safely; a key given twice in one mapping raises a YAMLError naming its line."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
