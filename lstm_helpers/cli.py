"""The ``lstm-workbench`` command (also ``python -m lstm_helpers``).

Every command validates its parameters before any work starts. Exit codes:

- 0: done.
- 1: the work ran and failed (a stage notebook failed, a sweep had failed or interrupted runs, no search
  trial completed, the sweep directory is busy): one line with the reason.
- 2: a mistake in the input (configuration, data, paths, unreadable artifacts):
  ``error: ...`` naming the key, file or value and what is allowed.
- 3: an internal error (a bug): ``internal error: <type>: <message>``, the traceback saved
  to ``reports/errors/`` and a request to report it; ``--debug`` prints the traceback instead.
- 130: interrupted (Ctrl-C). A closed pipe (``| head``) changes none: :mod:`lstm_helpers.closed_stdout`.
"""

from __future__ import annotations

import argparse
import gc
import html
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstm_helpers.closed_stdout import ReaderSafeStdout
from lstm_helpers.config import ConfigError, load_config, resolve_config

EXIT_FAILED, EXIT_USER, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
ISSUES_HINT = "please report it to the lstm-workbench maintainers"


# ============================================================================ helpers
def _shown(path: Path | str) -> str:
    """A path for the terminal, as it opens from here (:func:`lstm_helpers.runs.terminal.display_path`)."""
    from lstm_helpers.runs.terminal import display_path

    return display_path(path)


def _existing_run(path: str, need: tuple[str, ...] = ()) -> Path:
    """``--run`` as a directory holding the artifacts ``need`` (RunLayout attribute names).

    Raises
    ------
    ConfigError
        When the directory or one of the artifacts is missing, naming the earlier stage to run.
    """
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.stage_hints import earlier_stage

    run = Path(path).resolve()
    if not run.is_dir():
        raise ConfigError(f"--run {path}: no such run directory")
    lay = RunLayout(run)
    lacking = [n for n in need if not getattr(lay, n).exists()]
    if lacking:
        missing = ", ".join(getattr(lay, n).name for n in lacking)
        raise ConfigError(f"--run {path} lacks {missing}; {earlier_stage(path, lacking[0])}")
    return run


def _say_idle(cfg: Any, from_stage: str = "prepare") -> None:
    """A note per setting with no effect in the stages from ``from_stage`` on (:func:`lstm_helpers.unused.idle_notes`)."""
    from lstm_helpers.unused import STAGE_SECTIONS, idle_notes

    for note in idle_notes(cfg, tuple(STAGE_SECTIONS)[list(STAGE_SECTIONS).index(from_stage) :]):
        print(f"note: {note}", flush=True)


def _seconds(value: object) -> str:
    from lstm_helpers.runs.terminal import duration

    return duration(float(value)) if isinstance(value, int | float) else "?"


# ============================================================================ subcommands
def cmd_prepare(args: argparse.Namespace) -> int:
    from lstm_helpers.data.inputs import anchored
    from lstm_helpers.installation import check_prepare_paths

    cfg = anchored(load_config(args.config, args.overrides))
    check_prepare_paths(cfg, Path(args.out) if args.out else None)
    _say_idle(cfg)
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.pipeline import check_out_writable, claim_run, record_stages, run_pipeline, validate_inputs

    out = Path(args.out) if args.out else None
    if args.no_notebook:
        from lstm_helpers.artifacts import write_yaml
        from lstm_helpers.data.prepare import run_prepare

        check_out_writable(cfg, out)  # before the data are read
        validate_inputs(cfg)
        out = claim_run(cfg, out)
        write_yaml(RunLayout(out).params, cfg.to_dict())
        info = run_prepare(cfg, out).meta
        record_stages(out, cfg, ["prepare"])
        w = info["windows"]
        print(f"windows train/val/test: {w['train']}/{w['val']}/{w['test']}; leakage ok: {info['leakage']['ok']}")
    else:
        out = run_pipeline(cfg, out, stages=("prepare",), report=False)
    print(f"prepared artifacts in {_shown(out)}: prepared.npz, prepare.json")
    return 0


def _cmd_stage(stage: str, args: argparse.Namespace, need: tuple[str, ...]) -> Path:
    """Validate the run's parameters (with ``--set``), then run one stage on the existing run."""
    from lstm_helpers.artifacts import read_params
    from lstm_helpers.runs.pipeline import run_pipeline

    run = _existing_run(args.run, need)
    cfg = resolve_config(read_params(run), args.overrides)  # validate before starting
    _check_settings_of_done_stages(run, stage, cfg)
    _say_idle(cfg, stage)
    focal_alpha = cfg.train.loss == "focal" and cfg.train.focal_alpha is not None  # binary only
    if stage == "train" and (focal_alpha or cfg.train.monitor != "auto"):  # against the prepared classes
        from lstm_helpers.data.checks import check_train_settings
        from lstm_helpers.data.prepared import read_prepare_json

        check_train_settings(read_prepare_json(run)["classes"], cfg)
    run_pipeline(cfg, run, stages=(stage,), quiet=False, continue_run=True)
    return run


# the settings each stage's artifacts were made with (stage 02 also reads data and windows,
# but through stage 01's artifacts)
_STAGE_SECTIONS = {"prepare": ("seed", "data", "split", "windows", "scale", "resample"), "train": ("model", "train")}


def _check_settings_of_done_stages(run: Path, stage: str, cfg: Any) -> None:
    """``--set`` on ``train`` / ``evaluate`` may not change what an earlier, finished stage
    was run with: params.yaml would then describe windows or a model the run does not hold."""
    from lstm_helpers.artifacts import flatten, read_json_optional, read_params
    from lstm_helpers.layout import STAGE_NOTEBOOKS, RunLayout

    stages = list(STAGE_NOTEBOOKS)
    done = read_json_optional(RunLayout(run).status).get("stages_done", [])
    old, new = flatten(resolve_config(read_params(run)).to_dict()), flatten(cfg.to_dict())
    for earlier in [s for s in stages[: stages.index(stage)] if s in done]:
        sections = _STAGE_SECTIONS.get(earlier, ())
        changed = [k for k in new if k.split(".")[0] in sections and new[k] != old.get(k)]
        if changed:
            raise ConfigError(
                f"--set {', '.join(changed)}: stage {earlier} of {run.name} already ran with other values, "
                f"so its artifacts would not match them; make a new run with them: lstm-workbench run "
                f"--config {_shown(RunLayout(run).params)} --set ..."
            )


def cmd_train(args: argparse.Namespace) -> int:
    from lstm_helpers.artifacts import read_json
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.terminal import plural

    run = _cmd_stage("train", args, ("prepared", "prepare_json"))
    lay = RunLayout(run)
    t = read_json(lay.train_json)
    print(
        f"model {t.get('model_name')}: {plural(t.get('epochs_run') or 0, 'epoch')} in {_seconds(t.get('total_seconds'))}; "
        f"artifacts in {_shown(run)} ({lay.notebook('train').name} executed there)"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lstm_helpers.artifacts import read_params
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.pipeline import run_pipeline, run_status
    from lstm_helpers.runs.reevaluate import copy_for_evaluation
    from lstm_helpers.runs.report import headline

    run = _existing_run(args.run, ("prepared", "model"))
    if run_status(run)["status"] != "finished":
        run = _cmd_stage("evaluate", args, ("prepared", "model"))
    else:  # never rewritten: its windows and model are judged again in a new run directory
        cfg = resolve_config(read_params(run), args.overrides)
        _check_settings_of_done_stages(run, "evaluate", cfg)
        if cfg.fingerprint() == resolve_config(read_params(run)).fingerprint():
            raise ConfigError(
                f"{_shown(run)} is finished and --set changes none of its settings; to judge it otherwise give "
                "evaluate settings, e.g. --set evaluate.threshold_strategy=recall_at_precision --set evaluate.min_precision=0.8"
            )
        _say_idle(cfg, "evaluate")
        run = copy_for_evaluation(run, cfg, Path(args.out) if args.out else None)
        print(f"{_shown(Path(args.run))} is finished: its model is judged again in {_shown(run)}", flush=True)
        run_pipeline(resolve_config(read_params(run)), run, stages=("evaluate",), quiet=False, continue_run=True)
    lay = RunLayout(run)
    print(headline(run))
    pages = "".join(f"  {p.stem}: {_shown(p)}" for p in (lay.report, lay.slides) if p.is_file())
    print(f"metrics: {_shown(lay.metrics)}{pages}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides)  # run_pipeline anchors a relative data.path
    _say_idle(cfg)
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.pipeline import run_pipeline
    from lstm_helpers.runs.report import headline

    run = run_pipeline(cfg, Path(args.out) if args.out else None, quiet=args.quiet)
    print(headline(run))
    print(f"report: {_shown(RunLayout(run).report)}  slides: {_shown(RunLayout(run).slides)}")
    return 0


def cmd_slides(args: argparse.Namespace) -> int:
    from lstm_helpers.runs.slides import write_slides

    print(f"slides: {_shown(write_slides(Path(args.dir)))}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from lstm_helpers.data.demo import write_demo_recordings

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"demo --out {out} exists and is not an empty folder; give a new folder")
    for p in write_demo_recordings(out, seed=args.seed):
        print(p)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from lstm_helpers.layout import RunLayout
    from lstm_helpers.runs.pipeline import STAGES, check_notebook, finish_pages
    from lstm_helpers.runs.report import export_report, write_index
    from lstm_helpers.runs.slides import write_slides

    run = _existing_run(args.run, ("params",))
    for stage in STAGES:  # a notebook truncated by a full disk is named, not a JSON error
        if RunLayout(run).notebook(stage).is_file():
            check_notebook(RunLayout(run).notebook(stage))
    finish_pages(run)  # stopped (or failed) while its pages were written: finished, as the pages will say
    print(f"report: {_shown(export_report(run))}  slides: {_shown(write_slides(run))}")
    write_index(run.parent)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Print exactly ``--length`` generated characters (the continuation, without the prime)."""
    from lstm_helpers.runs.generate import generate_text

    run = Path(args.run)  # generate_text says what is missing or why the run is not a character run
    print(generate_text(run, args.prime, args.length, args.temperature, args.top_k, args.seed))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from lstm_helpers.runs.predict import output_table_path, predict_run, result_lines
    from lstm_helpers.runs.writable import check_output_file_writable

    run = _existing_run(args.run, ("params", "model"))
    by_default = "" if args.out else "the predictions go beside --input by default"
    check_output_file_writable(output_table_path(Path(args.input), args.out and Path(args.out)), "--out", by_default)
    out = predict_run(run, Path(args.input), Path(args.out) if args.out else None, encoding=args.encoding)
    for line in result_lines(out, _shown):  # the notes on the input, then the files and figures
        print(line)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from lstm_helpers.experiments.progress import sweep_summary
    from lstm_helpers.experiments.runner import run_sweep

    result = run_sweep(
        Path(args.file),
        workers=args.workers,
        scheduler=args.scheduler,
        overrides=args.overrides,
        out=Path(args.out) if args.out else None,
        mlflow_uri=args.mlflow,
    )
    if result.get("comparison_html"):
        _slides_beside(Path(result["comparison_html"]).parent)
    print(sweep_summary(result, _shown))  # an interrupted run: with the command that continues it
    return 0 if result["failed"] == 0 and not result.get("interrupted") else EXIT_FAILED


def _slides_beside(group_dir: Path) -> Path:
    """slides.html next to a sweep's or search's comparison.html, then the indexes that link
    both pages: the folder's own and reports/index.html (written before the slides existed)."""
    from lstm_helpers.experiments.compare import refresh_reports_index
    from lstm_helpers.runs.slides import write_slides

    slides = write_slides(group_dir)
    refresh_reports_index(group_dir)
    return slides


def cmd_compare(args: argparse.Namespace) -> int:
    from lstm_helpers.experiments.compare import compare_runs
    from lstm_helpers.experiments.display import answer_sentence, open_comparison
    from lstm_helpers.experiments.search_page import search_sentence, search_trials

    written = compare_runs([Path(d) for d in args.dirs], Path(args.out) if args.out else None, args.references)
    c, trials = open_comparison(written[0].parent), search_trials(written[0].parent)  # trials: a search's page
    answer = answer_sentence(c) if trials is None else search_sentence(c, trials)  # the page's first line, as text
    print(html.unescape(re.sub(r"<[^>]+>", "", answer)).strip(), *map(_shown, written), sep="\n")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from lstm_helpers.experiments.progress import format_values
    from lstm_helpers.experiments.search import run_search

    out = Path(args.out) if args.out else None
    try:
        result = run_search(Path(args.file), overrides=args.overrides, out=out, max_minutes=args.minutes)
    except KeyboardInterrupt as exc:  # as a sweep says it: the search's folder keeps the tuner's state
        if not getattr(exc, "said", False):
            exc.said = True  # type: ignore[attr-defined]  # main() then adds no bare "interrupted"
            print("[search] interrupted: the same command continues it (finished trials are kept)", flush=True)
        raise
    print(
        f"best {result['objective']} (validation) = {result['best_score']:.3f} with {format_values(result['best_values'])}"
        " (the trial's best epoch; the run of the best config trains its own budget and reports its own figures)\n"
        f"best config: {_shown(result['best_config'])}\nbest run: {_shown(result['best_run'])}\n"
        f"comparison: {_shown(result['comparison_html'])}"
        + (
            f"  slides: {_shown(_slides_beside(Path(result['comparison_html']).parent))}"
            if result["comparison_html"]
            else ""
        )
    )
    return 0


# ============================================================================ parser
def _add_overrides(
    p: argparse.ArgumentParser,
    help_text: str = "override a parameter, dotted key, YAML value (repeatable), e.g. --set windows.overlap_percent=75",
) -> None:
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help=help_text)


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", default=None, help="YAML run config (default: configs/demo.yaml)")
    _add_overrides(p)


def _stage_commands(add: Callable[[str, Any, str], argparse.ArgumentParser]) -> None:
    """prepare / train / evaluate / run / report / slides / demo."""
    p = add("prepare", cmd_prepare, "stage 01: validate, split, window, scale, rebalance")
    _add_config_args(p)
    p.add_argument("--out", default=None, help="run directory to write (default: a new one under reports/)")
    p.add_argument(
        "--no-notebook",
        action="store_true",
        help="call the helpers directly instead of executing notebooks/01_prepare.ipynb",
    )
    p = add("train", cmd_train, "stage 02 on a run directory that holds prepared artifacts")
    p.add_argument("--run", required=True, help="run directory (with prepared.npz / prepare.json)")
    _add_overrides(p, "override a training setting (repeatable), e.g. --set train.epochs=30; stage 01's are fixed")
    p = add("evaluate", cmd_evaluate, "stage 03 on a run directory that holds a trained model")
    p.add_argument("--run", required=True, help="run directory; a finished one is judged again in a new directory")
    p.add_argument("--out", default=None, help="the new directory when --run is finished (default: beside it)")
    _add_overrides(
        p, "override an evaluate setting (repeatable), e.g. --set evaluate.threshold_strategy=recall_at_precision"
    )
    p = add("run", cmd_run, "the whole pipeline 01 -> 02 -> 03 -> report.html")
    _add_config_args(p)
    p.add_argument("--out", default=None, help="run directory (default: reports/<time stamp>_<model name>)")
    p.add_argument("--quiet", action="store_true", help="no epoch lines; stage lines, notes and the result still print")
    p = add("report", cmd_report, "re-export report.html of a run and reports/index.html")
    p.add_argument("--run", required=True, help="run directory (finished, or stopped: its page says so)")
    p = add("slides", cmd_slides, "write slides.html (reveal.js, works offline) of a run or a sweep")
    p.add_argument("dir", help="run directory, or a sweep / search / comparison directory (comparison.csv)")
    p = add("demo", cmd_demo, "write the synthetic demo recordings (Parquet, one file per animal)")
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.add_argument("--seed", type=int, default=7, help="same seed, same recordings")


def _output_commands(add: Callable[[str, Any, str], argparse.ArgumentParser]) -> None:
    """generate / predict: use a finished run."""
    p = add("generate", cmd_generate, "write text with a trained character run (data.kind: text)")
    p.add_argument("--run", required=True, help="finished character run directory")
    p.add_argument(
        "--prime",
        required=True,
        help="text to start from (its last window-length characters are read)",
    )
    p.add_argument("--length", type=int, required=True, help="characters to write")
    p.add_argument(
        "--temperature",
        type=float,
        default=1.0,
        help="sampling temperature: < 1 safer, > 1 wilder, 0 always the most likely (default 1)",
    )
    p.add_argument("--top-k", type=int, default=None, help="draw only among the k most likely characters")
    p.add_argument("--seed", type=int, default=None, help="same seed, same text (default: fresh randomness)")
    p = add("predict", cmd_predict, "label new recordings or sequences with a finished run's model")
    p.add_argument("--run", required=True, help="finished run directory (a recordings or sequences run)")
    p.add_argument(
        "--input",
        required=True,
        help="new data in the run's training format: recordings file or folder; for a sequences run an "
        ".npz ('X' or 'values' + 'lengths'; 'y' optional), for a one-row-per-sample table run a CSV / "
        "Parquet file or folder (label column optional); a character run writes text with generate",
    )
    p.add_argument(
        "--out",
        default=None,
        help="output file (.csv or .parquet); default <input>.predictions.csv: one row per input row "
        "(recordings, with .windows, .bouts and .budget tables beside it) or per case (sequences)",
    )
    p.add_argument(
        "--encoding",
        default=None,
        help="text encoding of the new CSV files (e.g. utf-16, latin-1); default: the run's data.encoding",
    )


def _experiment_commands(add: Callable[[str, Any, str], argparse.ArgumentParser]) -> None:
    """sweep / compare / search."""
    p = add("sweep", cmd_sweep, "run a grid of configurations and compare them")
    p.add_argument("file", help="sweep YAML (base, description, set, grid, variants, seeds, references)")
    p.add_argument("--workers", type=int, default=1, help="runs in parallel on this machine (default 1)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    _add_overrides(p, "override applied to every run of the sweep")
    p.add_argument("--out", default=None, help="sweep directory (default reports/sweeps/<sweep id>)")
    p.add_argument("--mlflow", default=None, metavar="URI", help="also log each run to MLflow")
    p = add("compare", cmd_compare, "comparison.csv + comparison.html for any set of runs")
    p.add_argument("dirs", nargs="+", help="run or sweep directories")
    p.add_argument(
        "--out",
        default=None,
        help="output directory (default: the sweep or search dir when only its runs are "
        "compared, else reports/comparisons/compare-<hash of the runs>)",
    )
    p.add_argument(
        "--reference", dest="references", action="append", default=[], metavar="NAME=FIGURE:VALUE,...",
        help="a model measured elsewhere, shown beside the runs, marked external, never ranked "
        "(repeatable), e.g. --reference 'CNN (earlier notebook)=accuracy:0.8785,note:their own split'; "
        "figures: accuracy, balanced_accuracy, mcc, pr_auc, roc_auc, top_k_accuracy, CLASS_f1 / _precision / "
        "_recall (a space / newline class as the table names it: ␣_f1, ↵_f1), n_params, seconds_per_epoch, "
        "total_seconds",
    )  # fmt: skip
    p = add("search", cmd_search, "KerasTuner hyperparameter search, then a normal run of the best")
    p.add_argument("file", help="search YAML (base, set, space, tuner, max_trials, objective)")
    _add_overrides(p)
    p.add_argument("--out", default=None, help="search directory (default reports/search/<search id>)")
    p.add_argument(
        "--minutes", type=float, default=None, metavar="N",
        help="time budget of the trials: none starts after N minutes (the one under way finishes); "
        "the best so far then runs as usual",
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="lstm-workbench",
        description="Train and judge LSTM classifiers on sequence data: runs, sweeps, reports.",
    )
    ap.add_argument("--debug", action="store_true", help="print the full traceback of an internal error")
    common = argparse.ArgumentParser(add_help=False)  # --debug also after the subcommand
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = ap.add_subparsers(dest="command", required=True)

    def add(name: str, func: object, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, parents=[common])
        p.set_defaults(func=func)
        return p

    _stage_commands(add)
    _output_commands(add)
    _experiment_commands(add)
    return ap


# ============================================================================ errors
def _failure_kind(exc: BaseException) -> int | None:
    """The exit code of an expected failure, or None for an internal error.

    User errors (exit 2): :class:`ConfigError` (parameters, paths, refused runs),
    ``DataError`` (the input data) and ``UnreadableFile`` (an artifact that is not what it
    should be, e.g. a truncated model.keras).
    """
    from lstm_helpers.artifacts import UnreadableFile
    from lstm_helpers.data.recordings import DataError
    from lstm_helpers.experiments.resume import SweepLocked
    from lstm_helpers.experiments.search import SearchFailed
    from lstm_helpers.runs.pipeline import RunFailed

    if isinstance(exc, ConfigError | DataError | UnreadableFile):
        return EXIT_USER
    if isinstance(exc, RunFailed | SweepLocked | SearchFailed):
        return EXIT_FAILED
    return None


def _report_failure(exc: BaseException) -> None:
    from lstm_helpers.runs.pipeline import RunFailed

    if isinstance(exc, RunFailed) and exc.resume:  # stopped from outside (its kernel died), as a Ctrl-C says it
        print(f"run stopped: {_relative(str(exc))}; resume: {exc.resume}", file=sys.stderr)
    elif isinstance(exc, RunFailed):
        print(f"run failed: {_relative(str(exc))}", file=sys.stderr)
        if exc.notebook is not None:
            print(f"see the executed notebook: {_shown(exc.notebook)}", file=sys.stderr)
    else:
        print(f"error: {_relative(str(exc))}", file=sys.stderr)


def _relative(message: str) -> str:
    """Paths below the current directory in ``message`` written relative to it, as the user
    typed them (the data path is made absolute for the kernels, so data errors named it so)."""
    return message.replace(str(Path.cwd().resolve()) + os.sep, "")


def _report_internal(exc: BaseException) -> None:
    message = (str(exc).strip().splitlines() or [""])[0][:300]
    if hasattr(exc, "ename") and hasattr(exc, "evalue"):  # papermill: str() opens with a row of dashes
        notebook = getattr(exc, "notebook", None)
        message = f"{exc.ename}: {exc.evalue}"[:300] + (f" (in {_shown(notebook)})" if notebook else " (in a notebook)")
    from lstm_helpers.tracebacks import save_traceback

    print(f"internal error: {type(exc).__name__}: {message}", file=sys.stderr)
    saved = save_traceback(exc)
    where = f"the traceback saved in {_shown(saved)}" if saved else "the traceback"
    print(
        f"This is a bug in lstm-workbench, not a mistake in your input; {ISSUES_HINT} with {where} "
        "(or re-run the same command with --debug to print it).",
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the subcommand, and turn exceptions into exit codes (module docstring)."""
    from lstm_helpers.installation import require_checkout
    from lstm_helpers.runs.kernel import skip_unused_schema_format
    from lstm_helpers.runs.terminal import already_said
    from lstm_helpers.style import terminal_warning

    skip_unused_schema_format()
    args = _parser().parse_args(argv)
    python_format, warnings.formatwarning = warnings.formatwarning, terminal_warning  # not a file's path and line
    stdout, sys.stdout = sys.stdout, ReaderSafeStdout(sys.stdout)  # `| head`: the work goes on, quietly
    try:
        require_checkout(args.command, getattr(args, "no_notebook", False) and args.config is not None)  # a wheel
        return args.func(args)
    except KeyboardInterrupt as exc:
        if not already_said(exc):  # a sweep has said it was interrupted, and how to continue
            print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every exception ends as one clear line and an exit code
        code = _failure_kind(exc)
        if code is not None:
            _report_failure(exc)
            return code
        if getattr(args, "debug", False):
            raise
        _report_internal(exc)
        return EXIT_INTERNAL
    finally:
        warnings.formatwarning = python_format
        sys.stdout.flush()  # a reader gone before the last lines: found here, not in entry()
        sys.stdout = stdout


def entry() -> None:
    """The ``lstm-workbench`` console script: :func:`main`, then exit without the interpreter's
    last walk over every object.

    By the end of a run or sweep this process holds aeon, scikit-learn, pandas and numba; the
    final garbage collection at shutdown then took ~1 s on the 2-core host (a process that
    only imported aeon's MiniRocket: 1.18 s from its last line to its exit, 0.18 s with
    ``gc.freeze()``). Everything is written and flushed by then and ``atexit`` handlers still
    run; freezing only keeps the surviving objects out of that collection."""
    code = main()
    for stream in (sys.stdout, sys.stderr):  # None where the command started with it closed (>&-)
        if stream is not None:
            stream.flush()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
