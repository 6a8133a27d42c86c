"""A reveal.js deck for a run or a sweep that works offline: ``slides.html``.

One message per slide: the question and the data, what was tried (a sweep's before/after),
the confusion matrix, the precision/recall trade-off and the threshold, bouts on a
timeline, what to change next. reveal.js (MIT, its ``dist/`` files shipped in
``lstm_helpers/templates/reveal/`` with their LICENSE) and every figure are inlined, so the
file needs no network. A ``@media print`` layout keeps each figure with its heading
(Chromium's "Save as PDF", or reveal.js's ``?print-pdf``).

Written here: the choice and wording of the slides; the deck machinery is reveal.js's.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from lstm_helpers.artifacts import read_json_optional, read_params, write_text
from lstm_helpers.config import ConfigError
from lstm_helpers.data.summary import classes_sentence
from lstm_helpers.data.text import character_classes
from lstm_helpers.judge.captions import pr_curve_alt
from lstm_helpers.judge.notes import BASELINE_SHORT, READING, by_priority
from lstm_helpers.layout import RunLayout, SweepLayout
from lstm_helpers.runs.report import (
    TEMPLATES,
    bouts_phrase,
    confusion_html,
    headline_sentence,
    img_tag,
    key_metrics,
    scrub_paths,
)
from lstm_helpers.runs.terminal import plural
from lstm_helpers.runs.tried_slide import before_after as _before_after
from lstm_helpers.style import (
    MAX_HEATMAP_CLASSES,
    TOP_CONFUSIONS,
    during_training,
    fmt_number,
    table_html,
)

REVEAL = TEMPLATES / "reveal"
MAX_NEXT_STEPS = 4

_CSS = """
.reveal { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 30px; }
.reveal h2 { font-size: 1.45em; text-transform: none; margin-bottom: 0.4em; }
.reveal section { text-align: left; }
.reveal .lead { font-size: 1.05em; font-weight: 600; }
.reveal .small { font-size: 0.7em; color: #444; }
.reveal ul { display: block; margin-left: 1em; }
.reveal img.lw-fig { max-height: 500px; max-width: 100%; margin: 0 auto; display: block; border: 0; }
.reveal table { font-size: 0.62em; margin: 0; border-collapse: collapse; }
.reveal table th, .reveal table td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
.reveal .lw-table td { white-space: nowrap; }
.reveal .lw-table td:first-child { white-space: pre; }
.reveal table th { background: #f3f3f3; }
.reveal table.lw-cm { font-size: 0.9em; margin: 0 auto; }
.reveal table.lw-cm td { text-align: center; padding: 0.35em 0.9em; }
.reveal table.lw-cm td b { display: block; font-size: 1.3em; }
.reveal table.lw-cm td small { display: block; font-size: 0.6em; }
.reveal table.lw-cm td.lw-hit { background: rgba(46, 139, 87, calc(0.12 + 0.5 * var(--f))); }
.reveal table.lw-cm td.lw-miss { background: rgba(200, 60, 60, calc(0.05 + 0.6 * var(--f))); }
.reveal table.lw-cm caption { font-size: 0.6em; }
.reveal table.lw-cm th.lw-corner { font-size: 0.5em; font-weight: normal; color: #555; }
.reveal .run-name { font-size: 0.5em; color: #777; margin-top: 1.5em; }
.reveal .lw-table { overflow-x: auto; }
@media print {
  .reveal section { break-inside: avoid; page-break-inside: avoid; }
  .reveal h2 { break-after: avoid; page-break-after: avoid; }
  .reveal img, .reveal table { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _slide(title: str, body: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{body}</section>"


def _data_facts(run: Path) -> list[str]:
    p = read_json_optional(RunLayout(run).prepare_json)
    if not p:
        return []
    inp, win = p.get("input") or {}, p.get("windows") or {}
    tokens = inp.get("kind") == "tokens" and inp.get("data_kind") == "sequences"  # data.tokens: an Embedding
    shape = (
        f"of token ids (embedded: a vocabulary of {fmt_number(inp.get('vocab_size'))})"
        if tokens
        else "with " + plural(inp.get("n_channels") or 0, "channel")
    )
    facts = [
        f"{inp.get('data_kind', 'data')} {shape}; " + classes_sentence(p)  # "52 classes (1, ..., 52)", "94 characters"
    ]
    if win:  # a sequence task's examples are its sequences: no window was cut
        facts.append(
            f"{_unit(p)} train / validation / test: "
            + " / ".join(fmt_number(win.get(s)) for s in ("train", "val", "test"))
        )
    split = p.get("split") or {}
    if split.get("method"):
        spread, groups = split.get("groups_in_two_splits") or [0, 0]
        facts.append(
            f"split: {split['method']} — "
            + (
                f"{spread} of {groups} groups have recordings in two splits, so the scores overstate how it "
                "does on new groups"
                if spread
                else "no group is in two splits"
            )
        )
    return facts


def _unit(prep: dict) -> str:
    """``sequences`` or ``windows``: what the run's examples are (prepare.json says)."""
    from lstm_helpers.data.units import example_unit

    return example_unit(prep)


def _answer(run: Path, metric: str | None = None) -> str:
    """The run's headline sentence, its MiniRocket part said on validation with the verdict the
    comparison page states (:mod:`~lstm_helpers.judge.baseline_verdict`): the headline
    set the baseline's *test* figures beside the model's ("PR-AUC (macro) 0.873 (this model
    0.891)"), which read as the model winning where the page, on validation, found the
    baseline ahead. ``metric``: a sweep's ranking metric (``val_balanced_accuracy``); a run's
    own deck judges by the metric stage 03 does. Without both validation figures (an older run,
    no baseline), the headline as it is."""
    from lstm_helpers.judge.baseline_verdict import run_verdict

    text, v = headline_sentence(run), run_verdict(run, metric)
    if v is None:
        return text
    b = read_json_optional(RunLayout(run).metrics).get("baseline") or {}
    head, _, tail = text.rpartition("; ")
    label = str(b.get("label") or b.get("name") or "baseline")
    text = head if head and tail.startswith(f"{label}: ") else text
    who, why = ("the best run", "the split that ranks the runs") if metric else ("this model", "where choices are made")
    return (
        f"{text}; MiniRocket baseline on validation ({why}): {_metric_words(v.metric)} {v.baseline:.3f} against "
        f"{v.model:.3f}, {v.words(who).replace(' on validation', '', 1)}"
    )


def _metric_words(metric: str) -> str:
    """``balanced accuracy``, ``PR-AUC``: a metric's name as the slides' tables write it."""
    return {"pr_auc": "PR-AUC", "roc_auc": "ROC-AUC", "mcc": "MCC"}.get(metric, metric.replace("_", " "))


def _question_slide(
    run: Path,
    title: str,
    question: str,
    best: str = "",
    tied: bool = False,
    rank: str | None = None,
    metric: str | None = None,
) -> str:
    """The question, the data, and the answer; ``best``: the label of the run that answers a
    sweep's question (its data facts are that run's: another seed splits differently);
    ``tied``: it ties on validation with others that nothing tells apart; ``rank``: why that
    run, where not ranked first (the median run of the best configuration over splits);
    ``metric``: the validation metric that ranks a sweep's runs (its verdict on the baseline)."""
    facts = "".join(f"<li>{html.escape(f)}</li>" for f in _data_facts(run))
    rank = rank or ("first of the runs that tie on validation" if tied else "ranked first on validation")
    who = f" (from the run “{best}”, {rank})" if best else ""  # a run may be named "best"
    return _slide(
        question,
        f"<ul>{facts}</ul>"
        f'<p class="lead">Answer{html.escape(who)}: {html.escape(_answer(run, metric))}</p>'
        f'<p class="run-name">{html.escape(title)}</p>',
    )


def _tried_slide(run: Path) -> str:
    """The model and the settings that matter to the rare class, in words for the group the
    deck is shown to (the model's code name in small print)."""
    from lstm_helpers.experiments.weights_kept import weights_kept  # the comparison's words for it

    params, t = read_params(run), read_json_optional(RunLayout(run).train_json)
    p = read_json_optional(RunLayout(run).prepare_json)
    train = params.get("train") or {}
    members = int(t.get("ensemble") or 1)
    loss = _LOSSES.get(train.get("loss"), "loss –")
    planned = train.get("epochs")  # a number, or "auto" (chosen from the data size by stage 02)
    items = [
        _model_words(params, p, t) + _size_words(t, members),
        f"{plural(t.get('epochs_run') or 0, 'epoch')}{' each' if members > 1 else ''}, weights kept: "
        f"{weights_kept(t)}; {loss}"
        if t
        else "training has not finished: "
        + (
            plural(planned, "epoch") + " planned"
            if isinstance(planned, int)
            else "its budget is chosen from the data size"
        )
        + f"; {loss}",
        *_switch_items(params, t),
        *_imbalance_words(params, p, t),
        _scaling_words(p.get("scaler") or params.get("scale") or {}),
    ]
    code = f'<p class="run-name">model {html.escape(t["model_name"])}</p>' if t.get("model_name") else ""
    return _slide("What was tried", "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>" + code)


def _size_words(t: dict, members: int) -> str:
    """``: 9,613 parameters``, or for an average of ``members`` models ``: 5 models of 9,613
    parameters, trained with different seeds and averaged`` (train.json's ``n_params`` is the
    averaged model's, the members' sum: "48,065 parameters, 5 of them ..." read as 5 of the
    parameters). Each member's count: train.json's ``n_params_per_member`` where a run records
    it, else the sum over the members (the average adds no weight)."""
    n = t.get("n_params")
    if not n:
        return ""
    if members <= 1:
        return f": {fmt_number(n)} parameters"
    each = t.get("n_params_per_member") or (n // members if n % members == 0 else None)
    how = "on different folds of the data" if t.get("folds") else "with different seeds"
    size = (
        f"{members} models of {fmt_number(each)} parameters"
        if each
        else f"{members} models, {fmt_number(n)} parameters in all"
    )
    return f": {size}, trained {how} and averaged"


def _switch_items(params: dict, t: dict) -> list[str]:
    """The training switches that were on (train.json's ``switches``; for a run without them,
    from its parameters), on up to three lines: optimizer and schedule, regularisation, early stopping."""
    from lstm_helpers.model.summary import switch_words, training_switches

    switches = t.get("switches")
    if switches is None:
        from lstm_helpers.config import Config

        try:
            cfg = Config.model_validate(params)
        except (TypeError, ValueError):
            return []
        switches = training_switches(cfg.train, cfg.model.model_dump(mode="json"))
    words = switch_words(switches)
    lines = [
        "; ".join(words[k] for k in ("optimizer", "learning-rate schedule") if k in words),
        "; ".join(
            f"{k} {words[k]}" if k in ("label smoothing", "focal loss") else words[k]
            for k in ("dropout", "augmentation", "label smoothing", "focal loss")
            if k in words
        ),
        f"early stopping {words['early stopping']}" if "early stopping" in words else "",
    ]
    return [line for line in lines if line]


_LOSSES = {"crossentropy": "cross-entropy loss", "focal": "focal loss (down-weights the easy windows)"}
_SCALERS = {"standard": "standardised", "robust": "scaled by median and spread", "minmax": "scaled to 0-1"}
_SAMPLERS = {
    "undersample": "windows of the common classes left out at random",
    "oversample": "windows of the rare classes repeated",
    "smote": "synthetic windows of the rare classes added (SMOTE)",
    "smote_under": "synthetic windows of the rare classes added (SMOTE) and common ones left out",
    "augment": "noisy copies of the rare classes' windows added",
}


def _model_words(params: dict, prep: dict, t: dict) -> str:
    """The model as :func:`~lstm_helpers.model.naming.model_description` says it; its code
    name where the parameters cannot be read back (an older or a hand-made run)."""
    from lstm_helpers.config import ModelConfig
    from lstm_helpers.model.naming import model_description

    try:
        return model_description(ModelConfig.model_validate(params["model"]), prep.get("input"))
    except (KeyError, TypeError, ValueError):
        return f"model {t.get('model_name') or '–'}"


def _imbalance_words(params: dict, prep: dict, t: dict) -> list[str]:
    """``rare class play weighted ×10 against other (balanced class weights)``, and what the
    training windows were resampled by (``resample.method``), or that nothing evened them out."""
    res = params.get("resample") or {}
    out = []
    weights = {c: float(w) for c, w in (t.get("class_weight") or {}).items() if w}
    if len(weights) >= 2 and max(weights.values()) > min(weights.values()):
        rare, common = max(weights, key=weights.get), min(weights, key=weights.get)
        how = "balanced" if res.get("class_weight", "balanced") == "balanced" else "set"
        which = "rare class" if len(weights) == 2 else "rarest class"
        out.append(
            f"{which} '{rare}' weighted ×{weights[rare] / weights[common]:.2g} against '{common}' ({how} class weights)"
        )
    method = (prep.get("resample") or {}).get("method") or res.get("method")
    if method in _SAMPLERS:
        out.append(_sampler_words(method, prep, res))
    return out or ["classes left as they are: no weights, no resampling"]


def _sampler_words(method: str, prep: dict, res: dict) -> str:
    """What the sampler did to the training windows: ``synthetic windows of the rare classes added
    (SMOTE), to at most 5 : 1: chase 147 → 798 windows (651 synthetic)`` from the one line stage 01
    kept (``prepare.json["resample"]["summary"]``, :func:`~lstm_helpers.data.resampling.resample_summary`);
    or that the factor was already met and nothing changed (the slide said "left out at random, to
    at most 30 : 1" for an undersampling that cut nothing). An older run: the method alone."""
    rs = prep.get("resample") or {}
    factor = rs.get("imbalance_factor_target") or res.get("imbalance_factor")
    train = (prep.get("counts") or {}).get("train") or {}
    if train.get("before") and train.get("before") == train.get("after"):
        measured = (prep.get("imbalance_factor_measured") or {}).get("train_before")
        ratio = f" ({measured:.3g} : 1)" if measured else ""
        return f"{method} left the training windows unchanged: the classes were already within {factor:g} : 1{ratio}"
    done = str(rs.get("summary") or "").removeprefix(f"{method}: ").replace(" -> ", " → ")
    return _SAMPLERS[method] + (f", to at most {factor:g} : 1" if factor else "") + (f": {done}" if done else "")


def _scaling_words(scaler: dict) -> str:
    """``each recording standardised on its own``; ``standardised with the training split's statistics``."""
    verb = _SCALERS.get(scaler.get("method"))
    if not verb:
        return "channels used as recorded (no scaling)" if scaler.get("method") == "none" else "scaling –"
    per = scaler.get("per")
    return (
        f"each {per} {verb} on its own"
        if per in ("recording", "sequence")
        else f"{verb} with the training split's statistics"
    )


def _confusion_caption(m: dict, table: bool, unit: str) -> str:
    """What the confusion slide shows, as it shows it: the table's cells hold a count and its
    percentage of the row; the heatmap figure has counts on the left and row fractions (0-1) on
    the right (the slide said "percentages per row" under fractions); past
    MAX_HEATMAP_CLASSES the figure is a bar chart of the most frequent confusions."""
    classes = m.get("classes") or []
    if len(classes) > MAX_HEATMAP_CLASSES and not table:  # as the figure decides (judge/figures.py)
        return (
            f"The {TOP_CONFUSIONS} most frequent confusions of {len(character_classes(classes))} classes "
            f"(true → predicted), counted over the test {unit}; a matrix of that many classes would be unreadable."
        )
    cells = (
        "each cell: the count and its percentage of the row"
        if table
        else "left: counts; right: each row's fractions (a row sums to 1)"
    )
    return f"Rows: true class; columns: prediction; {cells} (the diagonal is each class's recall)."


def _result_slides(run: Path, metric: str | None = None) -> list[str]:
    """The confusion matrix, the precision / recall trade-off, bouts on a timeline and what to
    change next (``metric``: a sweep's ranking metric, which its verdict on the baseline reads)."""
    lay, k = RunLayout(run), key_metrics(run)
    m = read_json_optional(lay.metrics)
    unit = _unit(read_json_optional(lay.prepare_json))
    slides = []
    table = confusion_html(m)
    cm = table or img_tag(lay.figure("confusion_matrix"), "confusion matrix", "lw-fig")
    if cm:
        how = _confusion_caption(m, bool(table), unit)
        slides.append(_slide(_errors_title(m, unit), cm + f'<p class="small">{html.escape(how)}</p>'))
    pr = img_tag(lay.figure("pr_curve"), pr_curve_alt(m), "lw-fig")
    if pr:
        thr = (
            f"threshold {k['threshold']:.2f} {k['threshold origin']}: "
            f"precision {k['precision']:.2f}, recall {k['recall']:.2f}"
            if k["threshold"] is not None and k["precision"] is not None and k["recall"] is not None
            else ""
        )
        title = (
            f"Precision {k['precision']:.2f} at recall {k['recall']:.2f}: the threshold sets the trade-off"
            if k["precision"] is not None and k["recall"] is not None
            else "Precision against recall"
        )
        slides.append(_slide(title, pr + f'<p class="small">{html.escape(thr)}</p>'))
    tl = img_tag(lay.figure("timeline"), "bouts on the timeline of one recording", "lw-fig")
    if tl:
        bouts = bouts_phrase(k) if k["bouts true"] else ""
        slides.append(
            _slide(
                f"Bouts: {bouts}" if bouts else "Bouts on a timeline",
                tl + f'<p class="small">{html.escape(_bouts_caption(m, k["class"]))}</p>',
            )
        )
    ct = img_tag(lay.figure("class_timeline"), "true and predicted classes over one test recording", "lw-fig")
    if ct and not tl:  # three classes or more without a class of interest: when the classes are mixed up
        slides.append(_slide("True and predicted classes over time", ct))
    notes = _next_steps(run, m, metric)
    if k["status"] not in ("finished", "unknown"):
        notes.insert(0, f"the run is {k['status']}: {k['reason'] or 'no reason recorded'}")
    if notes:
        slides.append(
            _slide(
                "What to change next",
                "<ul>" + "".join(f"<li class='small'>{html.escape(n)}</li>" for n in notes) + "</ul>",
            )
        )
    return slides


def _bouts_caption(m: dict, cls: str | None) -> str:
    """What the timeline shows and, where the recording shown does not hold every error, which
    test recordings hold the others (the slide's title counts them all)."""
    bouts = (m.get("bouts") or {}).get(cls) or {}
    shown = bouts.get("timeline_recording")
    if not shown:  # a metrics.json from before the recording was recorded
        return "True bouts (upper band) and predicted bouts (lower band) on one test recording."
    from lstm_helpers.judge.bouts import errors_elsewhere  # scikit-learn: imported only here

    elsewhere = errors_elsewhere(bouts, shown)
    return f"True bouts (upper band) and predicted bouts (lower band) on test recording {shown}" + (
        f"; in the other test recordings: {elsewhere}."
        if elsewhere
        else ", which holds every missed and false-alarm bout."
        if bouts.get("errors_by_recording")
        else "."
    )


def _next_steps(run: Path, m: dict, metric: str | None = None) -> list[str]:
    """Up to :data:`MAX_NEXT_STEPS` changes: those the run's own records point to
    (:func:`~lstm_helpers.runs.next_steps.suggested_changes`: best epoch, validation precision /
    recall, baseline, validation size), then the notes that say what to change, then the
    cautions; never the readings of figures (``metrics.json["note_kinds"]``), which restate
    numbers the other slides show (an older run's notes have no kinds: all of them). Advice
    against the MiniRocket baseline (stage 03's "falls short of", the records' "beats the model")
    is left out unless the deck's verdict on validation (``metric``: a sweep's ranking metric)
    finds the baseline ahead beyond what validation resolves: the deck would contradict itself."""
    from lstm_helpers.judge.baseline_verdict import run_verdict
    from lstm_helpers.runs.next_steps import suggested_changes

    notes, kinds = list(m.get("notes") or []), m.get("note_kinds")
    kinds = list(kinds) if kinds and len(kinds) == len(notes) else None
    changes = suggested_changes(run)
    if (v := run_verdict(run, metric)) is not None and v.side != "ahead":
        name = (m.get("baseline") or {}).get("name") or "the baseline"
        changes = [c for c in changes if not c.startswith(f"{name} beats the model on validation")]
        keep = [i for i, n in enumerate(notes) if not str(n).startswith(BASELINE_SHORT)]
        notes, kinds = [notes[i] for i in keep], kinds and [kinds[i] for i in keep]
    if kinds:
        notes, kinds = (
            [n for n, k in zip(notes, kinds, strict=True) if k != READING],
            [k for k in kinds if k != READING],
        )
    return [*changes, *by_priority(notes, kinds)][:MAX_NEXT_STEPS]


def _errors_title(m: dict, unit: str = "windows") -> str:
    """``89 false-alarm and 33 missed windows of 2,047 test windows`` (binary; the
    headline's false alarms are bouts; ``unit``: sequences for a sequence task), else a generic title."""
    cm, classes, pos = m.get("confusion_matrix"), m.get("classes") or [], m.get("positive_class")
    if not cm or len(classes) != 2 or pos not in classes:
        return "Where the errors are"
    p = classes.index(pos)
    fp, fn, n = cm[1 - p][p], cm[p][1 - p], sum(map(sum, cm))
    # one line on the slide: "30 false-alarm and 20 missed windows", the unit said once for both
    return f"{fmt_number(fp)} false-alarm and {plural(fn, 'missed ' + unit[:-1])} of {fmt_number(n)} test {unit}"


def _best_run(table: pd.DataFrame, meta: dict) -> tuple[Path | None, str, str]:
    """The finished run with the best *validation* metric (never test), as the comparison
    page ranks it, its label there (``workbench · seed 1``: how it differs, not its
    directory's name), and a tie in words (:func:`~lstm_helpers.experiments.display.tie_text`;
    empty without one)."""
    from lstm_helpers.experiments.display import Comparison, run_labels, tie_text
    from lstm_helpers.experiments.tasks import typical_run

    comparison = Comparison(table, meta, None)
    best = comparison.best()
    if best is None and (typical := typical_run(comparison)) is not None:  # runs on other validation splits
        return Path(typical[0]["run_dir"]), str(run_labels(comparison).loc[typical[0].name]), typical[1]
    if best is None or not isinstance(best.get("run_dir"), str):
        return None, "", ""
    return Path(best["run_dir"]), str(run_labels(comparison).loc[best.name]), tie_text(comparison)


def _sweep_slides(sweep: Path) -> tuple[str, list[str]]:
    from lstm_helpers.experiments.compare import read_comparison

    lay = SweepLayout(sweep)
    table, meta = read_comparison(sweep)
    spec = {}
    for f in (lay.spec, sweep / "search.yaml"):
        if f.is_file():
            import yaml

            spec = yaml.safe_load(f.read_text()) or {}
            break
    title = str(meta.get("title") or sweep.name)
    description = str(spec.get("description") or f"{plural(len(table), 'run')} compared")
    best, best_label, tie = _best_run(table, meta)
    unbroken = "None is named best" in tie  # a tie nothing breaks: its first run stands for it
    typical = "median run by validation" in tie  # the best configuration's, runs on other validation splits
    rank = "the median run of the best configuration over the validation splits" if typical else None
    if rank is None and best is not None and len(table) == 1:  # nothing to rank it against
        rank = "the search's best configuration" if (sweep / "search.yaml").is_file() else "the one run"
    slides = [
        _question_slide(best, title, description, best_label or best.name, unbroken, rank, meta.get("rank_by"))
        if best
        else _slide(title, f"<p>{html.escape(description)}</p>"),
        _trials_slide(sweep, meta)
        or _slide(
            "What was tried: before / after"
            if "variant" in table and table["variant"].nunique() >= 2
            else "What was tried",
            _before_after(table, meta),
        ),
    ]
    if best is not None:
        heading = "Best by validation" if not unbroken else "Tied on validation: the first of them"
        heading = "Best configuration over the validation splits: its median run" if typical else heading
        slides.append(
            _slide(
                heading if not SweepLayout(sweep).trials.is_file() else "The best configuration, run in full",
                f'<p class="lead">{html.escape(best_label or best.name)}</p>'
                f"<p>{html.escape(_answer(best, meta.get('rank_by')))}</p>"
                + (f'<p class="small">{html.escape(tie)}</p>' if tie else ""),
            )
        )
        slides += _result_slides(best, meta.get("rank_by"))
    return title, slides


def _trials_slide(search: Path, meta: dict) -> str | None:
    """A search's trials, best first by their validation objective (the searched settings and
    the score; the other validation figures are on the comparison page); None for a sweep."""
    from lstm_helpers.experiments.display import search_trials

    trials = search_trials(search)
    if trials is None:
        return None
    objective = trials.attrs.get("objective", "score")
    keys = [k for k in meta.get("keys", []) if k in trials]
    cols = [c for c in ("trial", f"{objective} (best epoch)", *keys, "status") if c in trials]
    shown = trials[cols].rename(columns={k: k.split(".", 1)[-1] for k in keys})
    shown.attrs["decimals"] = {k.split(".", 1)[-1]: d for k, d in trials.attrs.get("decimals", {}).items()}
    from lstm_helpers.experiments.trials import record_sentence  # cut short by --minutes, trials diverged

    said = record_sentence(search)
    return _slide(
        f"What the search tried: {plural(len(trials), 'trial')}",
        table_html(shown, max_rows=10)
        + (f'<p class="small">{html.escape(said)}</p>' if said else "")
        + f'<p class="small">Best first by validation {html.escape(objective + during_training(objective))} at '
        "each trial's best epoch; "
        "the best configuration then ran through the whole pipeline.</p>",
    )


def deck_html(title: str, slides: list[str]) -> str:
    """A whole reveal.js deck with reveal.js, its theme and every image inlined."""
    css = "\n".join((REVEAL / f).read_text() for f in ("reveal.css", "white.css"))
    js = (REVEAL / "reveal.js").read_text()
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'>"
        f"<title>{html.escape(title)}</title><style>{css}\n{_CSS}</style></head><body>"
        f"<div class='reveal'><div class='slides'>{''.join(slides)}</div></div>"
        f"<script>{js}</script>"
        "<script>Reveal.initialize({hash: true, width: 1280, height: 720, margin: 0.04, "
        "transition: 'none', controls: true, progress: true, slideNumber: 'c/t'});</script>"
        "</body></html>"
    )


def write_slides(directory: Path) -> Path:
    """``slides.html`` of a run directory, or of a sweep / search / comparison directory
    (one holding ``comparison.csv``)."""
    directory = Path(directory)
    if SweepLayout(directory).comparison_csv.is_file():
        title, slides = _sweep_slides(directory)
        return write_text(SweepLayout(directory).slides, deck_html(title, slides))
    lay = RunLayout(directory)
    if not (lay.params.is_file() or lay.status.is_file()):
        raise ConfigError(
            f"{directory} is neither a run directory (params.yaml, status.json) nor a sweep directory (comparison.csv)"
        )
    k: dict[str, Any] = key_metrics(directory)
    data = (read_params(directory).get("data") or {}).get("kind", "recordings")
    question = (
        f"Can the model find '{k['class']}' in these {'sequences' if data == 'sequences' else 'recordings'}, "
        "and how reliably?"
        if k["class"]
        else "How well does the model tell the classes apart?"
    )
    slides = [
        _question_slide(directory, f"Run {directory.name}", question),
        _tried_slide(directory),
        *_result_slides(directory),
    ]
    return write_text(lay.slides, scrub_paths(deck_html(f"Run {directory.name}", slides), directory))
