"""The inference path (judge/inference.py) gives Keras' predictions in any chunking, with or
without XLA, for gathered rows and for multi-class outputs, and reports its speed."""

import numpy as np
import pytest

from lstm_helpers.config import resolve_config
from lstm_helpers.data.prepared import InputInfo
from lstm_helpers.judge.inference import XLA_MIN_WINDOWS, chunk_size, chunks_in_flight, run_inference
from lstm_helpers.judge.probs import predict_probs
from lstm_helpers.model.models import build_model


def _model(n_classes: int):
    cfg = resolve_config({"model": {"units": [8], "bidirectional": True, "dense_units": [4]}})
    info = InputInfo(kind="real", data_kind="recordings", window_length=12, n_channels=3)
    return build_model(cfg.model, info, n_classes, seed=1)


@pytest.fixture(scope="module")
def binary():
    return _model(2)


@pytest.fixture(scope="module")
def windows():
    return np.random.default_rng(0).standard_normal((150, 12, 3)).astype(np.float32)


@pytest.mark.parametrize("in_flight", [1, 3])
@pytest.mark.parametrize("jit", [False, True])
def test_matches_keras_predict_across_padded_chunks(binary, windows, jit, in_flight):
    """One chunk at a time or three at once (threads), the windows keep their order."""
    expected = binary.predict(windows, batch_size=32, verbose=0)[:, 0]
    got = run_inference(binary, windows, batch_size=64, jit_compile=jit, in_flight=in_flight)  # 64 + 64 + 22
    assert got.probs.shape == (150,) and got.probs.dtype == np.float32
    np.testing.assert_allclose(got.probs, expected, rtol=1e-4, atol=1e-5)
    assert got.compiled is jit and got.batch_size == 64 and got.windows_per_second > 0
    assert got.in_flight == in_flight
    assert "150 windows" in got.line() and ("XLA" if jit else "no XLA") in got.line()
    assert ("3 batches in flight" in got.line()) is (in_flight == 3)


def test_chunks_in_flight_follow_the_threads_tensorflow_may_use(binary, windows, monkeypatch):
    # two chunks per thread: one call leaves its core idle between chunks (measured)
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")  # a sweep worker's share of the cores
    assert chunks_in_flight(10) == 2 and run_inference(binary, windows, batch_size=16).in_flight == 2
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "2")
    assert chunks_in_flight(10) == 4 and chunks_in_flight(3) == 3 and chunks_in_flight(1) == 1
    assert run_inference(binary, windows, batch_size=16).in_flight == 4  # 150 windows: 10 chunks
    assert run_inference(binary, windows).in_flight == 1  # one chunk: nothing to overlap
    for bad in (0, -1, 1.5, True, "two"):
        with pytest.raises(ValueError, match="in_flight must be 'auto' or an int >= 1"):
            run_inference(binary, windows, in_flight=bad)


def test_multiclass_output_keeps_its_columns(windows):
    model = _model(4)
    got = run_inference(model, windows, batch_size=100, jit_compile=False)
    assert got.probs.shape == (150, 4)
    np.testing.assert_allclose(got.probs, model.predict(windows, verbose=0), rtol=1e-4, atol=1e-5)


def test_rows_gather_windows_one_chunk_at_a_time(binary, windows):
    rows = np.array([5, 0, 149, 7, 7])
    got = run_inference(binary, windows, batch_size=4, rows=rows, jit_compile=False)
    np.testing.assert_allclose(got.probs, run_inference(binary, windows[rows], jit_compile=False).probs, rtol=1e-5)
    assert got.probs[3] == got.probs[4]


def test_auto_skips_xla_below_the_threshold_and_handles_no_windows(binary, windows):
    assert len(windows) < XLA_MIN_WINDOWS and run_inference(binary, windows).compiled is False
    empty = run_inference(binary, windows[:0])
    assert empty.probs.shape == (0,) and empty.windows_per_second == 0.0


def test_predict_probs_logs_its_speed(binary, windows):
    lines = []
    probs = predict_probs(binary, windows, 4096, log=lines.append, what="test windows")
    assert probs.shape == (150,) and len(lines) == 1
    assert lines[0].startswith("predicted 150 test windows in ") and "windows/s, no XLA, batch 150" in lines[0]


def test_chunk_size_and_a_bad_batch(binary, windows):
    assert chunk_size(10_000, 4096) == 4096 and chunk_size(150, 4096) == 256 and chunk_size(3, 4096) == 64
    assert chunk_size(150, 100) == 100
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        run_inference(binary, windows, batch_size=0)


def test_plain_forward_is_traced_once_for_any_number_of_windows(binary, windows):
    from lstm_helpers.judge import inference

    run_inference(binary, windows, jit_compile=False)  # 150 windows in one call
    (model, _, forward), *_ = inference._LAST
    run_inference(binary, windows[:70], batch_size=32, jit_compile=False)  # 32 + 32 + 6: the same forward
    assert model is binary and inference._LAST[0][2] is forward
    assert forward.structured_input_signature[0][0].shape.as_list() == [None, 12, 3]


def test_the_last_models_forwards_are_kept_per_shape(binary, windows):
    """Validation and test at different chunk sizes, with and without XLA, reuse their traced
    forwards (no recompile when alternating); a new model drops the old one's."""
    from lstm_helpers.judge import inference

    run_inference(binary, windows, batch_size=64, jit_compile=True)
    run_inference(binary, windows, jit_compile=False)
    kept = {k: fn for _, k, fn in inference._LAST}
    assert len(kept) == 2 and all(m is binary for m, _, _ in inference._LAST)
    run_inference(binary, windows[:100], batch_size=64, jit_compile=True)
    run_inference(binary, windows[:20], jit_compile=False)
    assert {k: fn for _, k, fn in inference._LAST} == kept
    other = _model(2)
    run_inference(other, windows, jit_compile=False)
    assert [m for m, _, _ in inference._LAST] == [other]
