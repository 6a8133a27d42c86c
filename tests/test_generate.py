"""``lstm-workbench generate``: a real character model trained on a slice of the shipped text."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, TINY

from lstm_helpers.cli import main
from lstm_helpers.data.prepare import run_prepare
from lstm_helpers.model.training import run_training
from lstm_helpers.runs.generate import (
    NotACharacterRun,
    decode,
    encode,
    generate_text,
    load_char_model,
    sample_ids,
    sample_table,
)

TEXT = ROOT / "data" / "text" / "pride_and_prejudice_vol1.txt"


@pytest.fixture(scope="module")
def char_run(tmp_path_factory, tiny_demo_dir):
    """A character run: 20,000 characters, windows of 20, one small LSTM epoch."""
    import yaml

    from lstm_helpers.config import resolve_config

    raw = yaml.safe_load((ROOT / "configs" / "demo.yaml").read_text())
    cfg = resolve_config(
        raw,
        TINY
        | {
            "data.kind": "text",
            "data.path": str(TEXT),
            "data.max_chars": 20000,
            "data.vocab_size": 60,
            "data.classes_of_interest": [],
            "windows.length": 20,
            "windows.overlap_percent": 50,
            "resample.method": "none",
            "model.units": [16],
            "model.embedding_dim": 8,
            "model.dense_units": [],
            "evaluate.threshold_strategy": "fixed",
        },
    )
    run = tmp_path_factory.mktemp("char_run")
    run_prepare(cfg, run)
    run_training(cfg, run)
    return run


def test_generate_prints_the_asked_number_of_characters_same_seed_same_text(char_run, capsys):
    assert (
        main(
            [
                "generate",
                "--run",
                str(char_run),
                "--prime",
                "It is a truth",
                "--length",
                "120",
                "--seed",
                "7",
            ]
        )
        == 0
    )
    first = capsys.readouterr().out
    assert len(first) == 120 + 1  # print adds the newline
    assert (
        main(
            [
                "generate",
                "--run",
                str(char_run),
                "--prime",
                "It is a truth",
                "--length",
                "120",
                "--seed",
                "7",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == first
    other = generate_text(char_run, "It is a truth", 120, seed=8)
    assert other != first[:-1]
    # every character written is one the model knows (never padding or the unknown mark)
    vocab = set(load_char_model(char_run).vocabulary)
    assert set(first[:-1]) <= vocab and "\ufffd" not in first


def test_temperature_zero_and_top_k_one_are_greedy(char_run):
    a = generate_text(char_run, "Mr. Bennet", 40, temperature=0, seed=1)
    b = generate_text(char_run, "Mr. Bennet", 40, temperature=0, seed=2)
    c = generate_text(char_run, "Mr. Bennet", 40, temperature=1.0, top_k=1, seed=3)
    assert a == b == c


def test_a_tiny_temperature_is_greedy_not_padding(char_run):
    """log p / T overflowed to -inf in every column at T = 1e-310, and the argmax of a row of -inf
    is id 0: the banned <pad>, which decodes to nothing (40 characters asked, none written)."""
    probs = np.array([[0.1, 0.2, 0.6, 0.1]])
    drawn = sample_ids(probs, np.array([1e-310]), None, np.random.default_rng(0), banned=(0,))
    assert drawn.tolist() == [2]
    tiny = generate_text(char_run, "Mr. Bennet", 40, temperature=1e-310, seed=1)
    assert tiny == generate_text(char_run, "Mr. Bennet", 40, temperature=0, seed=1) and len(tiny) == 40


def test_refuses_a_run_that_is_not_a_character_model(tiny_config, tmp_path, capsys):
    run_prepare(tiny_config(), tmp_path)  # a recordings run: prepare.json says so
    with pytest.raises(NotACharacterRun, match="not a character model"):
        load_char_model(tmp_path)
    assert main(["generate", "--run", str(tmp_path), "--prime", "x", "--length", "5"]) == 2
    err = capsys.readouterr().err
    assert "not a character model" in err and "data.kind: text" in err
    assert sample_table(tmp_path) is None  # notebook 03 shows no samples for such runs


@pytest.mark.parametrize(
    "flag,value,word",
    [
        ("--length", "0", "--length"),
        ("--temperature", "-1", "--temperature"),
        ("--temperature", "inf", "--temperature = inf: must be a finite number >= 0"),  # it wrote nothing, exit 0
        ("--temperature", "nan", "--temperature = nan: must be a finite number >= 0"),  # it sampled at 1
        ("--top-k", "0", "--top-k"),
    ],
)
def test_bad_knobs_exit_2_naming_the_option(char_run, capsys, flag, value, word):
    args = {"--length": "10", "--temperature": "1", "--top-k": "3"} | {flag: value}
    argv = ["generate", "--run", str(char_run), "--prime", "a"] + [x for kv in args.items() for x in kv]
    assert main(argv) == 2
    assert word in capsys.readouterr().err


def test_missing_run_exits_2(tmp_path, capsys):
    assert main(["generate", "--run", str(tmp_path / "nope"), "--prime", "a", "--length", "3"]) == 2
    assert "prepare.json" in capsys.readouterr().err


def test_sample_table_has_a_row_per_prime_and_temperature(char_run):
    table = sample_table(char_run, temperatures=(0.5, 1.0), n_primes=2, length=30)
    assert len(table) == 4 and list(table["temperature"]) == [0.5, 1.0, 0.5, 1.0]
    assert all(len(t.replace("⏎", "\n")) == 30 for t in table["generated"])
    assert table.iloc[0, 0] == table.iloc[1, 0]  # one prime, two temperatures


def test_encode_decode_round_trip_and_unknown():
    vocab = ["<pad>", "<unk>", "a", "b", " "]
    ids = encode("ab ba!", vocab)
    assert ids.tolist() == [2, 3, 4, 3, 2, 1]
    assert decode(ids, vocab) == "ab ba\ufffd"


def test_sample_ids_follows_the_distribution_top_k_and_bans():
    rng = np.random.default_rng(0)
    p = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    draws = sample_ids(np.tile(p, (40000, 1)), np.ones(40000), None, rng, banned=[0])
    freq = np.bincount(draws, minlength=5) / len(draws)
    assert np.allclose(freq, p, atol=0.01)
    draws = sample_ids(np.tile(p, (2000, 1)), np.ones(2000), 2, rng)
    assert set(np.unique(draws)) == {3, 4}
    # a lower temperature sharpens towards the most likely id
    cold = sample_ids(np.tile(p, (20000, 1)), np.full(20000, 0.25), None, rng)
    assert (cold == 4).mean() > 0.6
    draws = sample_ids(np.tile(p, (100, 1)), np.ones(100), None, rng, banned=[4, 3])
    assert not np.isin(draws, [3, 4]).any()


def test_a_prime_with_characters_outside_the_vocabulary_says_which(char_run, capsys):
    """``--prime "café 日本"`` read é, 日 and 本 as <unk> without a word: stderr names them,
    stdout still holds exactly the generated characters."""
    args = ["generate", "--run", str(char_run), "--length", "10", "--seed", "1", "--prime"]
    assert main([*args, "café 日本"]) == 0
    out, err = capsys.readouterr()
    assert len(out) == 10 + 1
    assert "note: 3 of the 7 prime characters the model reads are outside the run's vocabulary" in err, err
    assert "read as <unk>: 'é', '日', '本'" in err, err
    assert main([*args, "It is a truth"]) == 0
    assert "note" not in capsys.readouterr().err
