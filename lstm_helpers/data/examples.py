"""Seeded input files for the example configs (``configs/examples/``): a table of features per
time step (story 2), variable-length sequences (story 4) and sequences of token ids. Same seed,
same files.

    python -m lstm_helpers.data.examples            # writes data/raw/examples/{features,sequences,tokens}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lstm_helpers.artifacts import save_npz, write_table
from lstm_helpers.config import PROJECT_ROOT
from lstm_helpers.data.demo import CHANNELS, generate_demo_recordings

EXAMPLES_DIR = PROJECT_ROOT / "data" / "raw" / "examples"
SEQUENCE_CLASSES = ("sine", "square", "chirp", "bursts")


def write_example_table(path: str | Path, n_animals: int = 8, minutes: float = 4.0, seed: int = 11) -> Path:
    """A CSV table of features per time step, multi-class: the demo's behaviours (play kinds
    merged into ``play``) with the six IMU channels and two derived features per row
    (``acc_mag``, ``gyr_mag``: vector magnitudes). Columns: ``recording_id``, ``animal_id``,
    ``time_s``, eight feature columns, ``behaviour``; rows without a label are left out
    (their times are skipped, so ``time_s`` shows the gaps).
    """
    df = generate_demo_recordings(n_animals=n_animals, minutes=minutes, seed=seed)
    df[CHANNELS] = df[CHANNELS].interpolate(limit_direction="both")
    df["acc_mag"] = np.sqrt((df[CHANNELS[:3]] ** 2).sum(axis=1)).astype(np.float32)
    df["gyr_mag"] = np.sqrt((df[CHANNELS[3:]] ** 2).sum(axis=1)).astype(np.float32)
    df["behaviour"] = df["behaviour"].str.replace(r"^play_.*", "play", regex=True)
    df = df[df["behaviour"].notna()].reset_index(drop=True)
    return write_table(Path(path), df.round(5))


def write_example_sequences(
    path: str | Path,
    n: int = 800,
    min_len: int = 30,
    max_len: int = 100,
    n_channels: int = 2,
    seed: int = 5,
) -> Path:
    """An ``.npz`` of variable-length sequences (``values`` + ``lengths`` + ``y`` + ``groups``).

    Four classes by waveform (sine, square, chirp, noise bursts) with random frequency, phase,
    amplitude and noise, lengths uniform in ``[min_len, max_len]``; ``groups`` puts every 5
    consecutive cases in one group (think: one subject). Built with vectorised numpy.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(SEQUENCE_CLASSES), n)
    lengths = rng.integers(min_len, max_len + 1, n)
    case = np.repeat(np.arange(n), lengths)
    t = (np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)) / 25.0
    freq = rng.uniform(0.4, 1.6, (n, n_channels))[case]
    phase = rng.uniform(0, 2 * np.pi, (n, n_channels))[case]
    amp = rng.uniform(0.6, 1.4, (n, n_channels))[case]
    arg = 2 * np.pi * freq * t[:, None] + phase
    cls = y[case][:, None]
    chirp = np.sin(arg * (1 + 0.6 * t[:, None]))
    bursts = np.sin(3 * arg) * (np.sin(arg / 3) > 0.3)
    wave = np.select([cls == 0, cls == 1, cls == 2], [np.sin(arg), np.sign(np.sin(arg)), chirp], bursts)
    values = (amp * wave + rng.normal(0, 0.35, wave.shape)).astype(np.float32)
    labels = np.array(SEQUENCE_CLASSES)[y]
    groups = np.array([f"g{i // 5:03d}" for i in range(n)])
    return save_npz(
        Path(path),
        {"values": values, "lengths": lengths.astype(np.int64), "y": labels, "groups": groups},
    )


def write_example_tokens(
    path: str | Path, n: int = 600, n_ids: int = 30, min_len: int = 10, max_len: int = 40, seed: int = 7
) -> Path:
    """An ``.npz`` of token-id sequences (``data.tokens``): ``X`` (n, max_len) of event codes
    1 to ``n_ids``, each case padded after its end with 0, and ``y``: ``has_7`` when code 7
    occurs in the case (about half the cases), else ``no_7``. Built with vectorised numpy."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, n)
    codes = rng.integers(1, n_ids, (n, max_len))
    codes[codes >= 7] += 1  # 1..n_ids without 7
    has = rng.random(n) < 0.5
    codes[np.flatnonzero(has), (rng.random(n) * lengths).astype(int)[has]] = 7
    X = np.where(np.arange(max_len)[None, :] < lengths[:, None], codes, 0)
    return save_npz(Path(path), {"X": X.astype(np.int64), "y": np.where(has, "has_7", "no_7")})


def main(folder: str | Path = EXAMPLES_DIR) -> list[Path]:
    """Write both example inputs under ``folder`` (default ``data/raw/examples``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_example_table(folder / "features.csv"),
        write_example_sequences(folder / "sequences.npz"),
        write_example_tokens(folder / "tokens.npz"),
    ]


def cli(argv: list[str] | None = None) -> list[Path]:
    """``python -m lstm_helpers.data.examples [folder]``: ``--help`` is help, not a folder."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m lstm_helpers.data.examples",
        description="Write the example inputs of configs/examples/: features.csv (story 2), sequences.npz and "
        "tokens.npz (story 4).",
    )
    ap.add_argument(
        "folder", nargs="?", default=str(EXAMPLES_DIR), help="where to write them (default: data/raw/examples)"
    )
    written = main(ap.parse_args(argv).folder)
    for p in written:
        print(p.relative_to(PROJECT_ROOT) if p.is_relative_to(PROJECT_ROOT) else p)
    return written


if __name__ == "__main__":  # pragma: no cover
    cli()
