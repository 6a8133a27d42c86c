"""Messages for invalid parameters: pydantic's validation errors as one line per key, naming the
key as the user wrote it, the value (never echoed whole) and what is allowed."""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

_SHOW = 200  # characters of a value an error message may echo
_RULE = 1000  # characters of a rule's own message (what is allowed, the way out): cut only when a value made it long


class ConfigError(ValueError):
    """A parameter is invalid; the message names the key, the value and what is allowed."""


def short_text(text: str, limit: int = _SHOW) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def short_repr(value: Any, limit: int = _SHOW) -> str:
    """``repr(value)`` cut to ``limit`` characters: a message never echoes a whole value."""
    return short_text(repr(value), limit)


def format_errors(err: ValidationError, raw: dict[str, Any], model: type[BaseModel]) -> str:
    """pydantic's errors of ``raw`` validated as ``model``, one line per key: the dotted key as the
    user wrote it, the value (cut short) and what is allowed; an unknown key lists the allowed ones."""
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        # pydantic adds union member names (e.g. 'float', 'list[float]'); keep real keys
        key_parts: list[str] = []
        node: Any = raw
        for p in loc:
            if isinstance(node, dict) and p in node:
                key_parts.append(p)
                node = node[p]
            elif isinstance(node, list) and p.isdigit() and int(p) < len(node):
                key_parts.append(p)
                node = node[int(p)]
        key = short_text(".".join(key_parts) or ".".join(loc) or "(config)", 120)
        msg = short_text(e["msg"], _RULE)
        if e["type"] == "extra_forbidden":
            parent = ".".join(key_parts[:-1])
            allowed = _allowed_keys(parent, model)
            near = difflib.get_close_matches(key_parts[-1] if key_parts else "", allowed, n=1)
            meant = f" (did you mean '{near[0]}'?)" if near else ""
            lines.append(
                f"unknown key '{key}'{meant}" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else "")
            )
            continue
        value = e.get("input", node)
        msg = _plain(e, value, model, key) or msg.removeprefix("Value error, ")
        # a whole-section rule (dict value): the message names the keys
        lines.append(f"{key}: {msg}" if isinstance(value, dict) else f"{key} = {short_repr(value)}: {msg}")
    seen = list(dict.fromkeys(lines))  # union noise de-duplicated, in order
    return "invalid parameters:\n  " + "\n  ".join(seen)


def _plain(e: Any, value: Any, top: type[BaseModel], key: str = "") -> str | None:
    """pydantic's type errors a command-line user can act on: the form to write, with an example.
    A list written as text (papermill's ``-p model__units '[8]'`` passes the text ``'[8]'``; so
    does ``--set model.units="'[8]'"``) is named as such, with the two ways to give a list."""
    if e["type"] == "list_type" and isinstance(value, str) and isinstance(_yaml_or_none(value), list):
        knob = key.replace(".", "__")
        return (
            f"a list given as text; papermill's -p passes its value as text, so give a list with -y "
            f"'{knob}: {value.strip()}' (papermill) or --set '{key}={value.strip()}' (lstm-workbench)"
        )
    if e["type"] == "list_type" and not isinstance(value, list | dict):
        return f"must be a list, e.g. [{value}]"
    if e["type"] == "dict_type":
        return "must be a mapping, e.g. {key: value}"
    if e["type"] == "model_type" and (block := _models(top).get((e.get("ctx") or {}).get("class_name", ""))):
        fields = block.model_fields
        example = ", ".join(f"{k}: {f.default}" for k, f in fields.items() if not isinstance(f.default, list | dict))
        return f"each entry must be a mapping of {', '.join(fields)} (each optional), e.g. {{{example}}}"
    return None


def _yaml_or_none(text: str) -> Any:
    """``text`` read as a YAML value, None when it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _models(top: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The parameter models reachable from ``top`` (its sections and list entries), by class name."""
    found: dict[str, type[BaseModel]] = {}
    todo: list[Any] = [top]
    while todo:
        a = todo.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            if a.__name__ not in found:
                found[a.__name__] = a
                todo += [f.annotation for f in a.model_fields.values()]
        else:
            todo += list(getattr(a, "__args__", ()))
    return found


def _allowed_keys(dotted_parent: str, top: type[BaseModel]) -> list[str]:
    model: Any = top
    for part in [p for p in dotted_parent.split(".") if p and not p.isdigit()]:  # digits: list items
        field = getattr(model, "model_fields", {}).get(part)
        todo, found = [field.annotation] if field else [], []  # Section, list[Block], 'auto' | list[Block]
        while todo:
            a = todo.pop()
            found += [a] if isinstance(a, type) and issubclass(a, BaseModel) else []
            todo += list(getattr(a, "__args__", ())) if not isinstance(a, type) else []
        if not found:
            return []
        model = found[0]
    return sorted(getattr(model, "model_fields", {}))
