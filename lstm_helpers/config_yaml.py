"""Reading parameter files and ``--set`` values as YAML: PyYAML's safe loader, refusing what
a config never needs and what would be silently lost -- aliases (``*name``) and a key given
twice in one mapping (YAML keeps the later one: a second ``train:`` section dropped the
first's settings). Errors name the file (or override), the line and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lstm_helpers.config_errors import ConfigError, short_repr, short_text


def _dotted(path: list[str], key: str) -> str:
    return ".".join([*path, key])


def _refuse_duplicates(node: Any, source: str, path: list[str] | None = None) -> None:
    """A key given twice in one mapping of the composed ``node`` tree, with both lines: PyYAML
    keeps the later value silently. Hand-written: PyYAML has no option to refuse them."""
    path = path or []
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicates(item, source, [*path, str(i)])
        return
    if not isinstance(node, yaml.MappingNode):
        return
    first: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
        mark = key_node.start_mark
        if key is not None and key in first:
            what = "section" if not path and isinstance(value_node, yaml.MappingNode) else "key"
            fix = "merge them into one" if what == "section" else "keep one"
            at = (
                f"lines {first[key].line + 1} and {mark.line + 1}"
                if first[key].line != mark.line
                else f"line {mark.line + 1}, columns {first[key].column + 1} and {mark.column + 1}"
            )
            raise ConfigError(
                f"{source}: {what} '{short_text(_dotted(path, key), 120)}' is given twice, at {at} "
                f"(the later one would silently replace the earlier); {fix}"
            )
        if key is not None:
            first[key] = mark
        _refuse_duplicates(value_node, source, [*path, key or "?"])


def _alias_refused(source: str, event: Any) -> ConfigError:
    """The refusal of a YAML alias (``*name``) at ``event``, naming ``source`` and its line."""
    return ConfigError(
        f"{source}: line {event.start_mark.line + 1}: YAML aliases (*{short_text(str(event.anchor), 40)}) "
        f"are not allowed in parameter files; write the value out"
    )


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses YAML aliases (``*name``): a few hundred bytes of nested aliases
    expand to gigabytes (a "billion laughs" file), and configs never need them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _alias_refused(self.name, self.peek_event())
        return super().compose_node(parent, index)

    def construct_document(self, node: Any) -> Any:
        _refuse_duplicates(node, self.name)
        return super().construct_document(node)


if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """libyaml's safe loader with :func:`_refuse_duplicates` (``source``: set before loading)."""

        source = "<string>"

        def construct_document(self, node: Any) -> Any:
            _refuse_duplicates(node, self.source)
            return super().construct_document(node)


def _refuse_aliases(text: str, source: str) -> None:
    """:class:`_NoAliasLoader`'s refusal, from libyaml's event stream (aliases are not expanded there)."""
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _alias_refused(source, event)


def _load(text: str, source: str) -> Any:
    if yaml.__with_libyaml__:
        _refuse_aliases(text, source)
        loader = _CLoader(text)
        loader.source = source
    else:
        loader = _NoAliasLoader(text)
        loader.name = source
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def safe_yaml(text: str, source: str = "<string>") -> Any:
    """Parse YAML text with the safe loader, refusing aliases and duplicate keys; errors name
    ``source``. With libyaml (PyYAML's wheels bring it) the C parser reads it: a run's
    params.yaml took 65 ms in the pure-Python loader, read six times by a run's report and
    slides alone."""
    try:
        return _load(text, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = "; ".join(x for x in (exc.context, exc.problem) if x)
        raise ConfigError(f"{source} is not valid YAML{where}: {short_text(what, 300)}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {short_text(' '.join(str(exc).split()), 300)}") from None


def parse_override(item: str) -> tuple[str, Any]:
    """Parse one ``key=value`` override; the value is read as YAML (``75``, ``[64, 32]``, ``null``)."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} must look like key=value, e.g. windows.overlap_percent=75")
    key, _, text = item.partition("=")
    key = key.strip()
    if not key:
        raise ConfigError(f"override {item!r} has an empty key")
    try:
        value = safe_yaml(text, f"override {key}") if text.strip() else None
    except ConfigError as exc:
        if "is not valid YAML" not in str(exc):  # a key given twice in a mapping: said as it is
            raise ConfigError(f"override {key}: value {short_repr(text)} is refused ({exc})") from None
        raise ConfigError(
            f"override {key}: value {short_repr(text)} cannot be read as YAML, where characters such as , : [ ] "
            f"{{ }} # & * ! | > ' \" % @ have a meaning{_quote_advice(key, text)}"
        ) from None
    return key, value


def _quote_advice(key: str, text: str) -> str:
    """How to write an override value YAML cannot read: a list or mapping with its brackets, else
    the value quoted for YAML inside the shell's quotes (``--set "data.decimal=','"``)."""
    if text.lstrip()[:1] in ("[", "{"):
        return "; a list or mapping needs its closing bracket and commas between items, e.g. [64, 32] or {epochs: 5}"
    if "'" not in text:
        return f"; quote it inside the shell's quotes: --set \"{key}='{text}'\""
    if '"' not in text:
        return f"""; quote it inside the shell's quotes: --set '{key}="{text}"'"""
    return ""


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A parameter file's mapping of sections. An empty file, or one that holds a list or a
    value, is refused: it was read as "all defaults" and ran on the demo data."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"config file {path} is a directory; give a YAML file, e.g. configs/demo.yaml")
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte offset {exc.start})") from None
    raw = safe_yaml(text, f"config file {path}")
    if raw is None:
        raise ConfigError(
            f"config file {path} is empty (no settings, only blanks or comments); give its sections, "
            "e.g. `data:` with `path:` and `label_column:` (configs/demo.yaml shows them all)"
        )
    if not isinstance(raw, dict):
        what = "a list" if isinstance(raw, list) else f"a single value ({short_repr(raw, 60)})"
        raise ConfigError(
            f"config file {path} must be a mapping of sections (`data:`, `train:`, ... each with its keys), "
            f"but holds {what}"
        )
    return raw
