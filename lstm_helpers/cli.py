"""The ``lstm-workbench`` command (also ``python -m lstm_helpers``).

Every command validates its parameters before any work starts; a mistake exits with code 2
and one message naming the key, the value and what is allowed. A failing stage exits 1 with
a one-line reason and the path of the executed notebook that shows the error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_helpers.config import ConfigError, load_config, resolve_config


def _add_config_args(p: argparse.ArgumentParser, config_required: bool = False) -> None:
    p.add_argument("--config", "-c", default=None, required=config_required,
                   help="YAML run config (default: configs/demo.yaml)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter, dotted key, YAML value (repeatable), "
                        "e.g. --set windows.overlap_percent=75")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="lstm-workbench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="stage 01: validate, split, window, scale, rebalance")
    _add_config_args(p)
    p.add_argument("--out", default=None, help="run directory to write (default: a new one under reports/)")
    p.add_argument("--no-notebook", action="store_true",
                   help="call the helpers directly instead of executing notebooks/01_prepare.ipynb")

    p = sub.add_parser("train", help="stage 02 on a run directory that holds prepared artifacts")
    p.add_argument("--run", required=True, help="run directory (with prepared.npz / prepare.json)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    p = sub.add_parser("evaluate", help="stage 03 on a run directory that holds a trained model")
    p.add_argument("--run", required=True)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")

    p = sub.add_parser("run", help="the whole pipeline 01 -> 02 -> 03 -> report.html")
    _add_config_args(p)
    p.add_argument("--out", default=None, help="run directory (default: reports/<time stamp>_<model name>)")
    p.add_argument("--quiet", action="store_true", help="stage lines and the result only (no epoch lines)")

    p = sub.add_parser("report", help="re-export report.html of a run and reports/index.html")
    p.add_argument("--run", required=True)

    p = sub.add_parser("slides", help="write slides.html (reveal.js, works offline) of a run or a sweep")
    p.add_argument("dir", help="run directory, or a sweep / search / comparison directory (comparison.csv)")

    p = sub.add_parser("predict", help="label new recordings with a finished run's model")
    p.add_argument("--run", required=True, help="finished run directory")
    p.add_argument("--input", required=True, help="recordings file or folder (same format as training)")
    p.add_argument("--out", default=None, help="output file (.csv or .parquet); default <input>.predictions.csv")

    _add_generate_parser(sub)

    p = sub.add_parser("sweep", help="run a grid of configurations and compare them")
    p.add_argument("file", help="sweep YAML (base, set, grid, variants, seeds)")
    p.add_argument("--workers", type=int, default=1, help="runs in parallel on this machine")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override applied to every run of the sweep")
    p.add_argument("--out", default=None, help="sweep directory (default reports/sweeps/<sweep id>)")
    p.add_argument("--mlflow", default=None, metavar="URI", help="also log each run to MLflow")

    p = sub.add_parser("compare", help="comparison.csv + comparison.html for any set of runs")
    p.add_argument("dirs", nargs="+", help="run or sweep directories")
    p.add_argument("--out", default=None, help="output directory (default: the first sweep or search dir "
                                                 "given, else reports/comparisons/compare-<hash of the runs>)")

    p = sub.add_parser("search", help="KerasTuner hyperparameter search, then a normal run of the best")
    p.add_argument("file", help="search YAML (base, set, space, tuner, max_trials, objective)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", default=None)
    return ap


def _add_generate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="write text with a trained character run (data.kind: text)")
    p.add_argument("--run", required=True, help="finished character run directory")
    p.add_argument("--prime", required=True, help="text to start from (its last window-length characters are read)")
    p.add_argument("--length", type=int, required=True, help="characters to write")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sampling temperature: < 1 safer, > 1 wilder, 0 always the most likely (default 1)")
    p.add_argument("--top-k", type=int, default=None, help="draw only among the k most likely characters")
    p.add_argument("--seed", type=int, default=None, help="same seed, same text (default: fresh randomness)")


def _cmd_generate(args: argparse.Namespace) -> int:
    """Print exactly ``--length`` generated characters (the continuation, without the prime)."""
    from lstm_helpers.runs.generate import generate_text

    print(generate_text(Path(args.run), args.prime, args.length, args.temperature, args.top_k, args.seed))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line at the top level
        from lstm_helpers.runs.pipeline import RunFailed

        if isinstance(exc, RunFailed):
            print(f"run failed: {exc}", file=sys.stderr)
            if exc.notebook is not None:
                from lstm_helpers.runs.terminal import display_path

                print(f"see the executed notebook: {display_path(exc.notebook)}", file=sys.stderr)
            return 1
        if isinstance(exc, FileNotFoundError | ValueError):  # DataError is a ValueError
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd == "prepare":
        cfg = load_config(args.config, args.overrides)
        from lstm_helpers.runs.pipeline import new_run_dir, run_pipeline

        out = Path(args.out) if args.out else new_run_dir(cfg)
        if args.no_notebook:
            from lstm_helpers.artifacts import write_yaml
            from lstm_helpers.data.prepare import run_prepare

            out.mkdir(parents=True, exist_ok=True)
            write_yaml(out / "params.yaml", cfg.to_dict())
            info = run_prepare(cfg, out).meta
            print(f"windows train/val/test: {info['windows']['train']}/{info['windows']['val']}/"
                  f"{info['windows']['test']}; leakage ok: {info['leakage']['ok']}")
        else:
            run_pipeline(cfg, out, stages=("prepare",), report=False)
        from lstm_helpers.runs.terminal import display_path

        print(f"prepared artifacts in {display_path(out)}: prepared.npz, prepare.json")
        return 0
    if cmd in ("train", "evaluate"):
        from lstm_helpers.artifacts import read_json
        from lstm_helpers.runs.pipeline import STAGES, execute_stage

        run = Path(args.run).resolve()
        params = run / "params.yaml"
        need = {"train": ["prepared.npz", "prepare.json"], "evaluate": ["prepared.npz", "model.keras"]}[cmd]
        missing = [n for n in need if not (run / n).is_file()]
        if missing:
            raise FileNotFoundError(f"run directory {run} lacks {missing}; run the earlier stage first")
        import yaml

        raw = yaml.safe_load(params.read_text()) if params.is_file() else {}
        cfg = resolve_config(raw, args.overrides)  # validate before starting
        from lstm_helpers.artifacts import write_yaml

        write_yaml(params, cfg.to_dict())
        execute_stage(cmd, run)
        if cmd == "train":
            t = read_json(run / "train.json")
            from lstm_helpers.runs.terminal import display_path, duration, plural

            print(f"model {t.get('model_name')}: {plural(t.get('epochs_run') or 0, 'epoch')}, "
                  f"{duration(t.get('total_seconds') or float('nan'))}; artifacts in {display_path(run)} "
                  f"({STAGES[cmd]} executed there)")
        return 0
    if cmd == "run":
        cfg = load_config(args.config, args.overrides)
        from lstm_helpers.runs.pipeline import run_pipeline

        run = run_pipeline(cfg, Path(args.out) if args.out else None, quiet=args.quiet)
        from lstm_helpers.layout import RunLayout
        from lstm_helpers.runs.report import headline
        from lstm_helpers.runs.terminal import display_path

        print(headline(run))
        print(f"report: {display_path(RunLayout(run).report)}  slides: {display_path(RunLayout(run).slides)}")
        return 0
    if cmd == "slides":
        from lstm_helpers.runs.slides import write_slides
        from lstm_helpers.runs.terminal import display_path

        print(f"slides: {display_path(write_slides(Path(args.dir)))}")
        return 0
    if cmd == "report":
        from lstm_helpers.runs.report import export_report, write_index
        from lstm_helpers.runs.terminal import display_path

        run = Path(args.run).resolve()
        print(f"report: {display_path(export_report(run))}")
        write_index(run.parent)
        return 0
    if cmd == "predict":
        from lstm_helpers.runs.predict import predict_recordings

        out = predict_recordings(Path(args.run), Path(args.input), Path(args.out) if args.out else None)
        for k, v in out.items():
            print(f"{k}: {v}")
        return 0
    if cmd == "generate":
        return _cmd_generate(args)
    if cmd == "sweep":
        from lstm_helpers.experiments.sweeps import SweepLocked, run_sweep

        try:
            result = run_sweep(Path(args.file), workers=args.workers, scheduler=args.scheduler,
                               overrides=args.overrides, out=Path(args.out) if args.out else None,
                               mlflow_uri=args.mlflow)
        except SweepLocked as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if result.get("comparison_html"):
            from lstm_helpers.runs.slides import write_slides

            write_slides(Path(result["comparison_html"]).parent)  # slides.html next to comparison.html
        print(f"sweep {result['sweep_id']}: {result['done']} finished ({result['skipped']} from before), "
              f"{result['failed']} failed; see runs.csv for reasons\n"
              f"comparison: {result['comparison_html']}")
        return 0 if result["failed"] == 0 else 1
    if cmd == "compare":
        from lstm_helpers.experiments.sweeps import compare_runs

        paths = compare_runs([Path(d) for d in args.dirs], Path(args.out) if args.out else None)
        for p in paths:
            print(p)
        return 0
    if cmd == "search":
        from lstm_helpers.experiments.search import SearchFailed, run_search

        try:
            result = run_search(Path(args.file), overrides=args.overrides, out=Path(args.out) if args.out else None)
        except SearchFailed as exc:  # no trial completed
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"best {result['objective']} = {result['best_score']:.4f} with {result['best_values']}\n"
              f"best config: {result['best_config']}\nbest run: {result['best_run']}\n"
              f"comparison: {result['comparison_html']}")
        return 0
    raise AssertionError(cmd)  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
