"""Messages for invalid parameters: pydantic's validation errors as one line per key, naming the
key as the user wrote it, the value (never echoed whole) and what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

_SHOW = 200  # characters of a value an error message may echo


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
        msg = short_text(e["msg"])
        if e["type"] == "extra_forbidden":
            parent = ".".join(key_parts[:-1])
            allowed = _allowed_keys(parent, model)
            lines.append(f"unknown key '{key}'" + (f"; allowed keys here: {', '.join(allowed)}" if allowed else ""))
            continue
        value = e.get("input", node)
        msg = msg.removeprefix("Value error, ")
        # a whole-section rule (dict value): the message names the keys
        lines.append(f"{key}: {msg}" if isinstance(value, dict) else f"{key} = {short_repr(value)}: {msg}")
    seen = list(dict.fromkeys(lines))  # union noise de-duplicated, in order
    return "invalid parameters:\n  " + "\n  ".join(seen)


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
