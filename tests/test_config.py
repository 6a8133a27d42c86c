import pytest

from lstm_helpers.config import ConfigError, load_config, parse_override, resolve_config


def test_demo_config_loads_and_window_length_from_seconds():
    cfg = load_config("configs/demo.yaml")
    assert cfg.data.sample_rate_hz == 25
    assert cfg.window_length == 50
    assert cfg.data.classes_of_interest == ["play"]


def test_overrides_are_typed_and_validated():
    cfg = load_config("configs/demo.yaml", ["windows.overlap_percent=75", "model.units=[128, 64]"])
    assert cfg.windows.overlap_percent == 75.0
    assert cfg.model.units == [128, 64]


def test_an_override_of_the_window_length_in_steps_wins_over_the_configs_seconds():
    """configs/demo.yaml gives windows.length_seconds (2 s); --set windows.length=24 was ignored."""
    assert load_config("configs/demo.yaml").window_length == 50  # 2 s at 25 Hz
    cfg = load_config("configs/demo.yaml", ["windows.length=24"])
    assert cfg.window_length == 24 and cfg.windows.length_seconds is None
    both = load_config("configs/demo.yaml", ["windows.length=24", "windows.length_seconds=1.0"])
    assert both.window_length == 25  # both asked: the seconds, as documented


@pytest.mark.parametrize(
    "override, words",
    [
        ("windows.overlap_percent=100", ["windows.overlap_percent", "100", "less than 100"]),
        ("windows.overlapp=50", ["unknown key", "windows.overlapp", "overlap_percent"]),
        ("train.optimizer=adamx", ["train.optimizer", "adamx", "adam"]),
        ("resample.method=smote2", ["resample.method", "smote"]),
        ("model.units=[0, 3]", ["model.units", ">= 1"]),
        ("model.dropout=[0.1]", ["dropout lists 1 values for the 2 layer(s) of model.units [64, 32]", "one per layer"]),
        ("nosuchsection.x=1", ["unknown key", "nosuchsection"]),
        ("split.val_fraction=0.85", ["val_fraction + test_fraction"]),
        ('model.fcn=[{"filters": 0, "kernel_size": 8}]', ["model.fcn.0.filters", "= 0", "greater than or equal to 1"]),
        ('model.fcn=[{"filters": 8, "kernel": 3}]', ["unknown key", "model.fcn.0.kernel", "filters, kernel_size"]),
        (
            'model.conv=[{"filters": 8, "width": 5}]',
            ["model.conv.0.width", "allowed keys here: filters, kernel_size, pool"],
        ),
        ("model.fcn=" + str([{"filters": 8}] * 5), ["model.fcn", "at most 4"]),
        # weights by name were silently unused under any other method
        (["resample.method=smote", "resample.class_weight={play: 5}"], ["class_weight {'play': 5.0}", "not 'smote'"]),
        ("resample.class_weight={play: 0}", ["each weight must be > 0", "'play': 0.0"]),
        (
            "train.monitor=val_f1",
            ["train.monitor = 'val_f1': must be auto, or a metric Keras logs", "balanced_accuracy"],
        ),
    ],
)
def test_invalid_values_name_key_value_and_allowed(override, words):
    with pytest.raises(ConfigError) as err:
        load_config("configs/demo.yaml", override if isinstance(override, list) else [override])
    for w in words:
        assert w in str(err.value), str(err.value)


def test_a_bad_set_is_blamed_on_the_command_line_and_a_bad_file_on_the_file(tmp_path):
    """``--set train.epoch=3`` was reported as ``configs/demo.yaml: invalid parameters``: the file
    alone is valid, so the key came from the command line (artifacts.py blames a notebook's
    knobs the same way, through config.blame_overrides)."""
    with pytest.raises(ConfigError) as err:
        load_config("configs/demo.yaml", ["train.epoch=3"])
    assert str(err.value).startswith(
        "--set on the command line (on top of configs/demo.yaml) is invalid: unknown key 'train.epoch'"
    ), str(err.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  epoch: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(bad, ["train.epochs=2"])  # the file's own mistake, with a valid --set beside it
    assert str(err.value).startswith(f"{bad}: invalid parameters") and "--set" not in str(err.value)


def test_number_keys_of_class_map_are_read_as_text():
    """Unquoted --set 'data.class_map={3: shake}' failed with 'data.class_map = 3: Input should be
    a valid string', the key reported as if it were the value; the raw label 3 reads as '3'."""
    cfg = load_config("configs/demo.yaml", ["data.class_map={3: shake, 2.0: rest, walk: 1}"])
    assert cfg.data.class_map == {"3": "shake", "2": "rest", "walk": "1"}


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match="key=value"):
        parse_override("train.epochs")
    with pytest.raises(ConfigError, match="not a section"):
        resolve_config({"seed": 1}, {"seed.x": 2})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_fingerprint_ignores_run_section_only():
    a = resolve_config({})
    b = resolve_config({}, {"run.name": "x"})
    c = resolve_config({}, {"seed": 1})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_the_multi_class_default_monitor_may_be_named():
    """val_balanced_accuracy, what train.monitor auto picks for more than two classes, was refused
    with a regular expression for a message."""
    assert (
        load_config("configs/demo.yaml", ["train.monitor=val_balanced_accuracy"]).train.monitor
        == "val_balanced_accuracy"
    )


def test_adamw_gets_its_own_weight_decay_unless_one_is_set():
    """A search's "adamw" choice was plain Adam: train.weight_decay defaulted to 0 for every optimizer."""
    import warnings

    from lstm_helpers.model.compile import ADAMW_DECAY, make_optimizer

    adamw = load_config("configs/demo.yaml", ["train.optimizer=adamw"]).train
    assert make_optimizer(adamw).weight_decay == ADAMW_DECAY == 0.004
    assert make_optimizer(adamw.model_copy(update={"weight_decay": 0.01})).weight_decay == 0.01
    with pytest.warns(UserWarning, match="adamw with train.weight_decay = 0 is plain Adam"):
        assert not make_optimizer(adamw.model_copy(update={"weight_decay": 0.0})).weight_decay
    adam = load_config("configs/demo.yaml").train
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert make_optimizer(adam).weight_decay is None


@pytest.mark.parametrize("libyaml", [True, False])
def test_parameter_yaml_reads_alike_with_and_without_libyaml(libyaml, monkeypatch):
    """Parameter files are parsed by libyaml where PyYAML has it (a run's params.yaml: 65 ms in
    the pure-Python loader, 1.4 ms in C; a run's report and slides read it six times), by the
    pure-Python loader otherwise: the same values, the same refusals of aliases and bad YAML."""
    import yaml

    from lstm_helpers.config import safe_yaml

    if libyaml and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    from lstm_helpers.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "configs" / "demo.yaml").read_text()
    assert safe_yaml(text, "demo.yaml") == yaml.safe_load(text)
    assert safe_yaml("a: 1e-3\nb: [1, 2]\nc: null\nd: yes\n") == {"a": "1e-3", "b": [1, 2], "c": None, "d": True}
    with pytest.raises(ConfigError, match=r"c.yaml: line 2: YAML aliases \(\*s\) are not allowed"):
        safe_yaml("seed: &s 3\nx: *s\n", "c.yaml")
    with pytest.raises(ConfigError, match=r"c.yaml is not valid YAML at line 2, column 1"):
        safe_yaml("data: [1, 2\n", "c.yaml")


@pytest.mark.parametrize("libyaml", [True, False])
def test_a_key_given_twice_is_refused_naming_it_and_both_lines(libyaml, monkeypatch, tmp_path):
    """YAML keeps the later of two equal keys: a second `train:` appended to a config dropped the
    first's epochs and batch size, and `{epochs: 2, epochs: 5}` was taken as 5, silently."""
    import yaml

    if libyaml and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml, "__with_libyaml__", libyaml)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "seed: 1\ntrain:\n  epochs: 2\n  batch_size: 64\nmodel: {units: [16]}\ntrain:\n  learning_rate: 0.0008\n"
    )
    with pytest.raises(ConfigError, match=r"c.yaml: section 'train' is given twice, at lines 2 and 6.*merge them"):
        load_config(cfg)
    cfg.write_text("seed: 1\ntrain: {epochs: 2, epochs: 5}\n")
    with pytest.raises(ConfigError, match=r"key 'train.epochs' is given twice, at line 2, columns 9 and 20"):
        load_config(cfg)
    cfg.write_text("model:\n  conv:\n    - filters: 8\n      filters: 16\n")
    with pytest.raises(ConfigError, match=r"key 'model.conv.0.filters' is given twice, at lines 3 and 4"):
        load_config(cfg)
    sweep = tmp_path / "s.yaml"
    sweep.write_text("base: c.yaml\ngrid:\n  train.epochs: [1, 2]\n  train.epochs: [3]\n")
    from lstm_helpers.experiments.plan import read_sweep

    with pytest.raises(ConfigError, match=r"s.yaml: key 'grid.train.epochs' is given twice, at lines 3 and 4"):
        read_sweep(sweep)


def test_a_mapping_set_on_a_section_merges_into_it():
    """`--set "train={epochs: 5}"` replaced the whole train section (the config's batch size and
    ensemble fell back to defaults); a mapping-valued setting such as data.class_map is still replaced."""
    raw = {"train": {"epochs": 2, "batch_size": 64, "schedule": {"kind": "cosine", "min_lr": 1e-5}}}
    raw["data"] = {"class_map": {"a": "x", "b": "y"}, "other_class": "other"}
    cfg = resolve_config(raw, ["train={epochs: 5, schedule: {min_lr: 1.0e-4}}", "data.class_map={c: z}"])
    assert (cfg.train.epochs, cfg.train.batch_size) == (5, 64)
    assert (cfg.train.schedule.kind, cfg.train.schedule.min_lr) == ("cosine", 1e-4)
    assert cfg.data.class_map == {"c": "z"}
    steps = resolve_config({"windows": {"length_seconds": 2.0}}, ["windows={length: 30}"])
    assert steps.window_length == 30  # steps asked for win over the config's seconds, as with windows.length=30


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        ("- data\n- train\n", "must be a mapping of sections.*holds a list"),
        ("demo\n", "must be a mapping of sections.*holds a single value"),
    ],
)
def test_an_empty_config_or_one_that_is_no_mapping_is_refused(tmp_path, text, words):
    """An empty config file (or a list) was read as "all defaults" and trained on the demo data."""
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=rf"config file .*mine.yaml {words}"):
        load_config(cfg)


def test_a_directory_given_as_config_is_named_a_directory(tmp_path):
    with pytest.raises(ConfigError, match=r"is a directory; give a YAML file"):
        load_config(tmp_path)


def test_an_override_yaml_cannot_read_says_how_to_quote_it():
    """`--set data.decimal=,` failed with "while parsing a block node; did not find expected node content"."""
    with pytest.raises(ConfigError) as err:
        parse_override("data.decimal=,")
    assert "while parsing" not in str(err.value)
    assert str(err.value).endswith("""quote it inside the shell's quotes: --set "data.decimal=','\"""")
    assert parse_override("data.decimal=','") == ("data.decimal", ",")
    with pytest.raises(ConfigError, match=r"needs its closing bracket.*e.g. \[64, 32\]"):
        parse_override("model.units=[64")


def test_a_quoted_whole_number_reads_as_one_wherever_a_quoted_decimal_does():
    """train.epochs='3' was refused ("must be a whole number, got '3'") while model.dropout='0.5' was read."""
    cfg = resolve_config({}, ["train.epochs='3'", "train.batch_size='32'", "model.dropout='0.5'"])
    assert (cfg.train.epochs, cfg.train.batch_size, cfg.model.dropout) == (3, 32, 0.5)
    with pytest.raises(ConfigError, match=r"whole number >= 1, got '2.5'"):
        resolve_config({}, ["train.epochs='2.5'"])


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("train.epoch=3", "unknown key 'train.epoch' (did you mean 'epochs'?); allowed keys here: "),
        ("model.units=64", "model.units = 64: must be a list, e.g. [64]"),
        (
            "model.conv=[32]",
            "model.conv.0 = 32: each entry must be a mapping of filters, kernel_size, pool (each optional), "
            "e.g. {filters: 64, kernel_size: 5, pool: 2}",
        ),
        ("data.class_map=[a]", "data.class_map = ['a']: must be a mapping, e.g. {key: value}"),
    ],
)
def test_type_errors_and_typos_say_what_to_write(override, words):
    """pydantic's "Input should be a valid list" / "valid dictionary or instance of ConvBlock", and
    a typo listed every key without the one it resembles."""
    with pytest.raises(ConfigError) as err:
        resolve_config({}, [override])
    assert words in str(err.value)
    assert "Input should be" not in str(err.value) and "instance of" not in str(err.value)
