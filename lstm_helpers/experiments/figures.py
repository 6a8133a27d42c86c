"""The comparison page's figures: each metric against the parameters that vary alone, and
validation quality against training time with its Pareto front (notebooks/04_compare.ipynb,
through :mod:`lstm_helpers.experiments.display`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstm_helpers.experiments.html_tables import as_html
from lstm_helpers.experiments.labels import as_labels, run_labels, variant_names

if TYPE_CHECKING:
    from lstm_helpers.experiments.display import Comparison

# the page shows a figure at most 560 px high (report.css): one figure per parameter, page-wide
PANEL_INCHES = (4.2, 3.2)


def group_columns(c: Comparison) -> list[str]:
    """The columns that make a configuration: the variant and the parameters that vary."""
    return [k for k in ["variant", *c.param_keys] if k in c.table.columns]


def keys_that_vary_alone(c: Comparison) -> tuple[list[str], dict[str, list[str]]]:
    """Columns worth a "metric vs parameter" panel, and the columns that change with each.

    A column (variant or key) that splits the finished runs exactly as an earlier column does
    changes together with it (e.g. the keys a variant sets): it gets no panel of its own.
    """
    fin = c.finished
    kept: list[str] = []
    together: dict[str, list[str]] = {}
    signatures: dict[tuple[int, ...], str] = {}
    if c.tasks:  # a key that changes with the task (data.path) is the task: each panel splits by it already
        signatures[tuple(pd.factorize(fin["task"].astype(str))[0].tolist())] = "task"
        together["task"] = []
    for k in group_columns(c):
        if k not in fin or fin[k].astype(str).nunique() < 2:
            continue
        sig = tuple(pd.factorize(fin[k].astype(str))[0].tolist())
        if sig in signatures:
            together[signatures[sig]].append(k)
            continue
        signatures[sig] = k
        kept.append(k)
        together[k] = []
    return kept, together


def _axis_labels(c: Comparison, keys: list[str]) -> pd.DataFrame:
    """The finished runs with each of ``keys`` as the category labels a panel's axis shows: a
    run without a variant by its run name (:func:`variant_names`), a missing setting "–"."""
    fin = c.finished
    shown = {k: variant_names(fin) if k == "variant" else as_labels(fin[k], missing="–") for k in keys}
    return fin.assign(**shown)


def panel_keys(c: Comparison) -> tuple[list[str], dict[str, list[str]]]:
    """:func:`keys_that_vary_alone`, less a parameter each of whose values is a single run's
    (runs of different origins: each run's variant, a CNN's cell): its panel pools nothing and
    only repeats the runs, which the ranking shows. The first is kept when none pools (a sweep of
    variants with one seed each: its one panel)."""
    keys, together = keys_that_vary_alone(c)
    data = _axis_labels(c, keys)
    pooled = [k for k in keys if data[k].value_counts().max() > 1]
    return (pooled or keys[:1]), together


def plot_metric_vs_keys(c: Comparison, metrics: list[str] | None = None, keys: list[str] | None = None) -> Any:
    """The validation metric, validation MCC and seconds per epoch against each parameter
    that varies alone (:func:`panel_keys`, or ``keys``), one row of panels per parameter (mean
    and sd over the other keys and seeds; seaborn point plots). Runs of different tasks
    (:mod:`.tasks`) are drawn apart, one colour per task: their figures do not pool."""
    import seaborn as sns
    from matplotlib.figure import Figure

    fin = c.finished
    shown, together = panel_keys(c)
    keys = shown if keys is None else keys
    metrics = [
        m for m in (metrics or [c.rank_by, "val_mcc", "seconds_per_epoch"]) if m and m in fin and fin[m].notna().any()
    ]
    if len(fin) < 2:
        return None
    if not keys or not metrics:
        return as_html("<p><i>No parameter varies alone among finished runs.</i></p>")
    # one row per parameter, the metrics side by side: a page-wide figure whatever the count
    # (a column of panels per parameter left one parameter's figure a third of the page wide)
    fig = Figure(figsize=(PANEL_INCHES[0] * len(metrics), PANEL_INCHES[1] * len(keys)))
    axes = fig.subplots(len(keys), len(metrics), squeeze=False)
    data = _axis_labels(c, keys)
    hue = {"hue": "task", "dodge": 0.4} if c.tasks else {}
    for i, k in enumerate(keys):
        more = f" (+{len(together.get(k, []))} changing with it)" if together.get(k) else ""
        for j, m in enumerate(metrics):
            ax = axes[i][j]
            sns.pointplot(data=data, x=k, y=m, errorbar="sd", ax=ax, linestyle="none", capsize=0.1,
                          legend=bool(hue) and i == j == 0, **hue)  # fmt: skip
            grey = {"palette": dict.fromkeys(c.tasks, "0.5")} if hue else {"color": "0.5"}
            sns.stripplot(data=data, x=k, y=m, ax=ax, alpha=0.5, size=3, legend=False, **hue, **grey)
            ax.set_xlabel(k + more)
            ax.set_ylabel("")
            ax.set_title(m)  # each row is read alone on the page (one figure per parameter)
            ax.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    return fig


def metric_vs_keys(c: Comparison, metrics: list[str] | None = None) -> list[Any]:
    """What the page shows of :func:`plot_metric_vs_keys`: one page-wide figure per parameter
    (the page holds a figure to 560 px high: five rows of panels in one figure were 140 px
    each, their ticks unreadable), or the one note; nothing for a single run."""
    keys = panel_keys(c)[0]
    first = plot_metric_vs_keys(c, metrics, keys=keys[:1])
    if first is None or not hasattr(first, "axes"):  # one run; or the note that no parameter varies
        return [] if first is None else [first]
    return [first, *(plot_metric_vs_keys(c, metrics, keys=[k]) for k in keys[1:])]


def pareto_front(time: Any, quality: Any) -> np.ndarray:
    """Boolean mask of the runs no other run beats on both time (lower) and quality (higher)."""
    t = np.asarray(time, dtype=float)
    q = np.asarray(quality, dtype=float)
    ok = np.isfinite(t) & np.isfinite(q)
    # i is dominated when some j has t_j <= t_i and q_j >= q_i with one strict
    le_t = t[None, :] <= t[:, None]
    ge_q = q[None, :] >= q[:, None]
    strict = (t[None, :] < t[:, None]) | (q[None, :] > q[:, None])
    dominated = (le_t & ge_q & strict & ok[None, :]).any(axis=1)
    return ok & ~dominated


def plot_quality_vs_time(c: Comparison, time_column: str = "total_seconds") -> Any:
    """The validation metric against training time, one point per run, the Pareto front marked
    and labelled with the runs' short labels (:func:`run_labels`: the variant, or how a run
    differs), each label placed clear of the points, the other labels and the figure's edge."""
    import seaborn as sns
    from matplotlib.figure import Figure

    from lstm_helpers.experiments.columns import TIME_DEFINITIONS

    fin, q = c.finished, c.rank_by
    if len(fin) < 2:
        return None
    if c.tasks or c.splits:  # a front across data, classes or validation splits: figures that do not compare
        differ = "data or classes" if c.tasks else "validation recordings"
        return as_html(
            f"<p><i>The runs differ in {differ} (see the top of the page): no front of validation "
            "quality against time is drawn across them.</i></p>"
        )
    if q is None or q not in fin or time_column not in fin or fin[[q, time_column]].dropna().empty:
        return as_html("<p><i>No finished run with both a validation metric and a training time.</i></p>")
    data = fin.assign(label=run_labels(c).loc[fin.index]).dropna(subset=[q, time_column])
    front = pareto_front(data[time_column], data[q])
    hue = "variant" if "variant" in data and data["variant"].notna().any() else "model_name"
    data = data.assign(variant=variant_names(data)) if hue == "variant" else data  # a plain run drawn too
    fig = Figure(figsize=(8, 4.8))
    ax = fig.subplots()
    sns.scatterplot(data=data, x=time_column, y=q, hue=hue, ax=ax, s=45)
    pts = data[front].sort_values(time_column)
    ax.step(pts[time_column], pts[q], where="post", color="tab:red", lw=1.2, label="Pareto front")
    ax.scatter(pts[time_column], pts[q], s=150, facecolors="none", edgecolors="tab:red")
    ax.margins(x=0.12, y=0.15)
    ax.set_xlim(left=0)  # time from zero: a 0.2 s difference between 12 s runs is drawn as what it is
    named = {"total_seconds": "fit time", "seconds_per_epoch": "seconds per epoch", "run_seconds": "run time"}
    ax.set_xlabel(f"{named.get(time_column, time_column)}, s ({time_column})" if time_column in TIME_DEFINITIONS else time_column)  # fmt: skip
    ax.set_ylabel(f"{q} (validation)")
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Validation quality vs training time (red: no run is both faster and better)")
    fig.tight_layout()
    _place_labels(fig, ax, pts[[time_column, q]].to_numpy(float), pts["label"].astype(str).tolist(),
                  data[[time_column, q]].to_numpy(float))  # fmt: skip
    return fig


# where a label may sit around its point (offset in points, alignment), tried in this order
_SPOTS = [((6, 6), "left", "bottom"), ((-6, 6), "right", "bottom"), ((6, -6), "left", "top"),
          ((-6, -6), "right", "top"), ((9, 0), "left", "center"), ((-9, 0), "right", "center")]  # fmt: skip


def _place_labels(fig: Any, ax: Any, at: np.ndarray, labels: list[str], points: np.ndarray) -> None:
    """Annotate each of ``at`` with its label at the first spot (:data:`_SPOTS`) whose text
    overlaps no point of ``points`` (markers drawn 12 px wide), no label placed before it and
    stays inside the axes; the one overlapping least where none is clear. Hand-written: the
    library for it (adjustText) is not among this package's dependencies, and a front has a
    handful of points."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    centres = ax.transData.transform(points)
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend()
    taken = [tuple(legend.get_window_extent(renderer).extents)] if legend is not None else []
    for (x, y), label in zip(at, labels, strict=True):
        own = ax.transData.transform([(x, y)])[0]
        marks = [(cx - 7, cy - 7, cx + 7, cy + 7) for cx, cy in centres if abs(cx - own[0]) + abs(cy - own[1]) > 1]
        tried = []
        for offset, ha, va in _SPOTS:
            text = ax.annotate(label[:50], (x, y), fontsize=8, xytext=offset, textcoords="offset points", ha=ha, va=va)
            box = tuple(text.get_window_extent(renderer).extents)
            outside = box[0] < frame.x0 or box[2] > frame.x1 or box[1] < frame.y0 or box[3] > frame.y1
            cost = sum(_overlap(box, m) for m in [*marks, *taken]) + 1e6 * outside
            tried.append((cost, len(tried), text, box))
            if cost == 0:
                break
        cost, _, keep, box = min(tried, key=lambda t: t[:2])
        for _, _, text, _ in tried:
            if text is not keep:
                text.remove()
        taken.append(box)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The area two boxes ``(x0, y0, x1, y1)`` share."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
