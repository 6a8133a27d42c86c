"""What stage 01's ``prepare.json`` says, as the tables the notebook and the report show: the
key facts, the windows per split and class, and the leakage check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lstm_helpers.config import PROJECT_ROOT
from lstm_helpers.data.recordings import SPLIT_NAMES
from lstm_helpers.data.text import UNK_TOKEN, character_classes, characters_text
from lstm_helpers.data.units import example_unit, one
from lstm_helpers.style import MAX_LISTED_CLASSES, classes_text, names_text


def _resampling_text(info: dict) -> str:
    """``smote (target factor 5)``; ``class_weight (weights other 0.55, play 5.5)``: the
    weights (and ``none``) have no target factor, ``resample.imbalance_factor`` is for the
    samplers. Weights that training leaves unused (``train.use_class_weight`` false in the run's
    parameters) are said to be unused, as the training section says every window weighs 1."""
    r = info["resample"]
    if r["method"] == "class_weight":
        weights = ", ".join(f"{c} {w:.3g}" for c, w in list((info.get("class_weight") or {}).items())[:6])
        if not ((info.get("parameters") or {}).get("train") or {}).get("use_class_weight", True):
            unused = f"not used: train.use_class_weight is false, so every training {one(example_unit(info))} weighs 1"
            return f"class_weight (weights {weights}, {unused})" if weights else f"class_weight ({unused})"
        return f"class_weight (weights {weights}; imbalance_factor does not apply)" if weights else "class_weight"
    if r["method"] == "none":
        return "none"
    return f"{r['method']} (target factor {r['imbalance_factor_target']:g})"


def split_table(info: dict) -> pd.DataFrame:
    """One row per split: recordings, groups, windows per class (before / after resampling
    where it changed them; totals where there are more than 12 classes: ``windows``, or
    ``sequences`` for sequence data)."""
    rows = []
    counts = info["counts"]
    resampled = any(counts[n]["before"] != counts[n]["after"] for n in SPLIT_NAMES)
    many = len(info["classes"]) > 12  # a character model's vocabulary: totals, not 100 columns
    for n in SPLIT_NAMES:
        row = {
            "split": n,
            "groups": len(info["groups"][n]),
            "recordings": len(info["splits_recordings"][n]),
        }
        for when in ("before", "after") if resampled else ("before",):
            tag = f" ({when})" if resampled else ""
            if many:
                row[f"{example_unit(info)}{tag}"] = sum(counts[n][when].values())
                row[f"classes present{tag}"] = sum(1 for v in counts[n][when].values() if v)
            else:
                row.update({f"{cls}{tag}": v for cls, v in counts[n][when].items()})
        rows.append(row)
    return pd.DataFrame(rows).set_index("split")


def _overlap_text(inp: dict, p: dict) -> str:
    """ "50% overlap", or the real overlap and the one asked when the step had to round."""
    asked = p["windows"]["overlap_percent"]
    real = 100.0 * (1 - inp["step"] / inp["window_length"])
    if abs(real - asked) < 0.05:
        return f"{asked:g}% overlap"
    shown = f"{real:.0f}" if f"{real:.0f}" != f"{asked:.0f}" else f"{real:.1f}"  # never "75% overlap; 75% asked"
    return f"{shown}% overlap; {asked:g}% asked"


def _imbalance_fact(measured: dict) -> dict[str, str]:
    """The training split's largest : smallest class, before -> after resampling (once when
    resampling left it as it was)."""
    before, after = (f"{measured[k]:.3g}" if measured[k] is not None else "–" for k in ("train_before", "train_after"))
    if before == after:  # three significant digits: 10.2, not 10.158 (a ratio of window counts)
        return {"imbalance train (largest : smallest class)": before}
    return {"imbalance train before -> after": f"{before} -> {after}"}


def _tokens_text(tokens: dict | None) -> str | None:
    """How a ``data.tokens`` run read its ids (the notes say how many were out of vocabulary)."""
    if not tokens:
        return None
    return f"{tokens['training_ids']:,} distinct ids in training (an Embedding of {tokens['vocab_size']}); {tokens['rule']}"


def classes_description(info: dict) -> str:
    """The classes of a run (``prepare.json``) for a sentence: a text run's characters
    (:func:`~lstm_helpers.data.text.characters_text`: not ``96 classes (0, 1, 2, ..., ~)``, which
    counted ``<pad>`` and ``<unk>`` and sorted digit characters like class ids), else the class names."""
    classes = info.get("classes") or []
    if (info.get("input") or {}).get("data_kind") != "text":
        return classes_text(classes)
    counts = info.get("counts") or {}
    before = [(counts.get(n) or {}).get("before") or {} for n in SPLIT_NAMES]
    unknown = sum(int(b.get(UNK_TOKEN) or 0) for b in before)
    chars = set(character_classes(classes))
    targeted = len({c for b in before for c, n in b.items() if n and c in chars})
    return characters_text(classes, unknown, targeted=targeted if counts else None)


def classes_sentence(info: dict) -> str:
    """:func:`classes_description` after ``classes: `` where it is a plain list of names (a few
    classes), as the slides' data facts read it."""
    plain = (info.get("input") or {}).get("data_kind") != "text" and len(
        info.get("classes") or []
    ) <= MAX_LISTED_CLASSES
    return ("classes: " if plain else "") + classes_description(info)


def summary_table(info: dict, notes: bool = True) -> pd.DataFrame:
    """Key facts of a prepare run as a two-column table (for the notebook and the report);
    ``notes`` False leaves stage 01's notes to a list of their own (the notebook's Notes section)."""
    inp, p, unit = info["input"], info["parameters"], example_unit(info)
    facts = {
        "data": f"{inp['data_kind']}{' of token ids' * (inp['kind'] == 'tokens' and inp['data_kind'] != 'text')} "
        f"from {data_path_text(inp['source'])}",
        "classes": classes_description(info),
        ("window" if unit == "windows" else "pad length"): f"{inp['window_length']} steps"
        + (f" ({inp['window_length'] / inp['sample_rate_hz']:.2f} s)" if inp.get("sample_rate_hz") else "")
        + (f", step {inp['step']} ({_overlap_text(inp, p)})" if inp.get("step") else ""),
        "label rule": p["windows"]["label_rule"] if inp["data_kind"] not in ("sequences", "text") else None,
        f"{unit} train / val / test": " / ".join(f"{info['windows'][n]:,}" for n in SPLIT_NAMES),
        "split": info["split"]["method"]
        + ("" if str(p["split"]["by"]) in info["split"]["method"] else f" ({p['split']['by']})"),
        "resampling": _resampling_text(info),
        **_imbalance_fact(info["imbalance_factor_measured"]),
        f"synthetic training {unit}": info["resample"]["synthetic_windows"],
        "scaler": info["scaler"]["method"]
        + (
            ""
            if info["scaler"]["method"] == "none"
            else f" per {info['scaler']['per']} (own statistics, label-free)"
            if info["scaler"].get("per") in ("recording", "sequence")
            else " (fitted on training timesteps)"
        ),
        "leakage check": "passed" if info["leakage"]["ok"] else "FAILED: " + "; ".join(info["leakage"]["problems"]),
        "token ids": _tokens_text(info.get("tokens")),
    }
    facts = {k: v for k, v in facts.items() if v is not None}  # (a sequence or a text has no label rule)
    if info["windows"].get("recordings_too_short"):
        n, ids = info["windows"]["recordings_too_short"], info["windows"].get("recordings_too_short_ids", [])
        facts["recordings skipped (shorter than a window)"] = f"{n}: {names_text(ids, n)}"
    if notes and info.get("notes"):
        facts["notes"] = "; ".join(info["notes"])
    if info["split"].get("note") and info["split"]["note"] not in (info.get("notes") or []):
        facts["split note"] = info["split"]["note"]
    return pd.DataFrame({"value": [str(v) for v in facts.values()]}, index=list(facts))


def leakage_table(info: dict) -> pd.DataFrame:
    """The leakage check as a table: each check and whether it passed."""
    leak = info["leakage"]
    rows = [{"check": c, "result": "passed" if leak["ok"] else "see problems"} for c in leak["checked"]]
    rows += [{"check": "problem", "result": p} for p in leak["problems"]]
    unit = example_unit(info)
    rows += [{"check": f"timesteps covered by {k} {unit}", "result": v} for k, v in leak["timesteps_covered"].items()]
    return pd.DataFrame(rows).set_index("check")


def data_path_text(path: str) -> str:
    """``data.path`` for the report's reader: as given when relative (to the project), relative to
    the project root when inside it, else its name, said to lie outside the project. The report
    showed it relative to the run folder ("../../../x/hz50d"), a path no reader would follow."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return f"{p.name} (outside the project)"


def example_windows_caption(info: dict) -> str:
    """The caption of stage 01's example windows, by what the model's input holds (``prepare.json``):
    token ids, unscaled values, values scaled by each recording's (sequence's) own statistics, or by
    a scaler fitted on training timesteps. The caption said the last whatever ``scale.per`` was."""
    inp, scaler = info["input"], info["scaler"]
    pad = " (the padding left out)" if inp.get("masked") else ""
    if inp["kind"] == "tokens":
        return f"The model's input: token ids (model ids, data/README.md), one dot per step{pad}."
    if scaler["method"] == "none":
        return f"The model's input values, unscaled (scale.method: none){pad}."
    if scaler.get("per") in ("recording", "sequence"):
        how = (
            f"each {scaler['per']} scaled by its own statistics ({scaler['method']}, scale.per: recording; label-free)"
        )
    else:
        how = f"scaled by a {scaler['method']} scaler fitted on training timesteps only (scale.per: global)"
    return f"The model's input values, {how}{pad}."
