"""Deterministic, seeded demo recordings: animals wearing a 6-channel IMU, labelled per timestep.

The generator is hand-written (no library simulates labelled animal behaviour). It aims to
be honestly hard, like the field data of story 1:

* behaviours ``rest``, ``walk``, ``run``, ``forage`` follow a semi-Markov process with
  realistic bout durations; a rare ``play`` comes as three kinds of bout (``play_chase``,
  ``play_wrestle``, ``play_solo``) of 2-6 s, about 8 % of labelled time;
* every animal has its own sensor offsets, gains, noise level and collar orientation (a
  random rotation of both accelerometer and gyroscope), so a model must generalise across
  animals -- which is why splits are by animal;
* play overlaps ``run`` and ``walk`` in amplitude and frequency; what gives it away is its
  irregularity (frequency changes, turns, rolls, jumps), not its energy;
* some stretches are unlabelled (observer lost sight) and a few samples are missing (NaN).

A majority-class guess scores about 0.9 accuracy on windows, and a naive model has poor
precision on play. See ``data/README.md`` for the file layout.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

CHANNELS = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
BEHAVIOURS = ["rest", "walk", "run", "forage", "groom", "play_chase", "play_wrestle", "play_solo"]
PLAY_KINDS = ["play_chase", "play_wrestle", "play_solo"]

# mean bout duration (s), min, max
_DURATIONS = {
    "rest": (30.0, 8.0, 90.0),
    "walk": (15.0, 4.0, 60.0),
    "run": (5.0, 2.0, 15.0),
    "forage": (20.0, 5.0, 60.0),
    "groom": (6.0, 3.0, 15.0),
    "play": (3.5, 2.0, 6.0),
}
# transition weights between non-play behaviours (row: from)
_NEXT = {
    "rest": {"rest": 0.0, "walk": 0.5, "run": 0.1, "forage": 0.25, "groom": 0.15},
    "walk": {"rest": 0.3, "walk": 0.0, "run": 0.25, "forage": 0.35, "groom": 0.1},
    "run": {"rest": 0.2, "walk": 0.55, "run": 0.0, "forage": 0.15, "groom": 0.1},
    "forage": {"rest": 0.3, "walk": 0.45, "run": 0.15, "forage": 0.0, "groom": 0.1},
    "groom": {"rest": 0.5, "walk": 0.3, "run": 0.05, "forage": 0.15, "groom": 0.0},
}


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    ax, ay, az = np.deg2rad(rng.uniform(-max_deg, max_deg, 3))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _segments(rng: np.random.Generator, n_steps: int, rate: float, play_prob: float) -> list:
    """Draw (label, n_steps) bouts until the recording is full."""
    segs: list[tuple[str, int]] = []
    total, cur = 0, str(rng.choice(["rest", "walk", "forage"]))
    while total < n_steps:
        kind = "play" if cur.startswith("play") else cur
        mean, lo, hi = _DURATIONS[kind]
        dur = float(np.clip(rng.gamma(2.0, mean / 2.0), lo, hi))
        n = max(1, int(round(dur * rate)))
        segs.append((cur, n))
        total += n
        playing = cur.startswith("play")
        # play comes after activity, and a play bout is often followed by another one
        if (not playing and cur != "rest" and rng.random() < play_prob) or (playing and rng.random() < 0.55):
            cur = str(rng.choice(PLAY_KINDS, p=[0.45, 0.35, 0.2]))
        else:
            base = "walk" if cur.startswith("play") else cur
            nxt = _NEXT[base]
            cur = str(rng.choice(list(nxt), p=np.array(list(nxt.values())) / sum(nxt.values())))
    return segs


def _segment_signal(rng: np.random.Generator, label: str, n: int, rate: float) -> np.ndarray:
    """Body-frame acceleration (g) and angular rate (rad/s) for one bout: (n, 6)."""
    t = np.arange(n) / rate
    acc = np.zeros((n, 3))
    gyr = np.zeros((n, 3))
    gravity = np.array([0.0, 0.0, 1.0])
    if label == "rest":
        acc += 0.02 * rng.standard_normal((n, 3)).cumsum(0) / np.sqrt(np.arange(1, n + 1))[:, None]
        gyr += 0.02 * rng.standard_normal((n, 3))
    elif label in ("walk", "run"):
        f = rng.uniform(1.6, 2.4) if label == "walk" else rng.uniform(2.8, 3.8)
        amp = rng.uniform(0.2, 0.4) if label == "walk" else rng.uniform(0.55, 0.9)
        if label == "run" and rng.random() < 0.5:  # hunting / fleeing: turns and a wandering stride
            f = f + 0.6 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * t)
            turns = (rng.random(n) < 0.04).astype(float) * rng.choice([-1, 1], n)
            gyr[:, 2] += 1.0 * np.convolve(turns, np.hanning(9))[:n]
        ph = 2 * np.pi * np.cumsum(np.broadcast_to(f, t.shape)) / rate + rng.uniform(0, 2 * np.pi)
        acc[:, 2] += amp * np.sin(ph)
        acc[:, 0] += 0.5 * amp * np.sin(ph / 2 + 0.3)
        acc[:, 1] += 0.25 * amp * np.sin(ph + 1.1)
        gyr[:, 1] += 0.8 * amp * np.cos(ph)
        gyr[:, 2] += 0.3 * amp * np.sin(ph / 2)
    elif label == "forage":
        gravity = np.array([0.55, 0.0, 0.83])  # head down
        bursts = (rng.random(n) < 0.04).astype(float)
        kernel = np.exp(-np.arange(10) / 3.0)
        peck = np.convolve(bursts, kernel)[:n]
        acc[:, 0] += 0.35 * peck
        acc += 0.05 * rng.standard_normal((n, 3))
        gyr[:, 1] += 0.6 * peck + 0.05 * rng.standard_normal(n)
        if rng.random() < 0.35:  # digging: rolling and broadband energy
            roll = np.cumsum(rng.standard_normal(n)) * 0.05
            acc[:, 1] += 0.35 * np.sin(roll)
            acc += 0.18 * rng.standard_normal((n, 3))
            gyr[:, 0] += 0.6 * np.gradient(roll) * rate / 4 + 0.2 * rng.standard_normal(n)
    elif label == "groom":
        # scratching and head shakes: the same 4-6 Hz shakes as solo play, head tilted
        gravity = np.array([0.3, 0.35, 0.89])
        shake = np.sin(2 * np.pi * rng.uniform(4.0, 6.0) * t) * (rng.random(n) < 0.5)
        gyr[:, 2] += rng.uniform(0.4, 0.7) * shake
        acc[:, 1] += 0.2 * shake
        acc += 0.1 * rng.standard_normal((n, 3))
    elif label == "play_chase":
        # run-like but with a wandering stride frequency and sharp turns
        f = rng.uniform(2.4, 3.6) + 0.8 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * t)
        ph = 2 * np.pi * np.cumsum(f) / rate
        amp = rng.uniform(0.5, 0.8)
        acc[:, 2] += amp * np.sin(ph)
        acc[:, 0] += 0.5 * amp * np.sin(ph / 2)
        acc[:, 1] += 0.35 * amp * np.sin(ph + 0.7)
        turns = (rng.random(n) < 0.05).astype(float) * rng.choice([-1, 1], n)
        gyr[:, 2] += 1.1 * np.convolve(turns, np.hanning(9))[:n]
        gyr[:, 1] += 0.7 * amp * np.cos(ph)
    elif label == "play_wrestle":
        # rolling: orientation changes, broadband energy near walk/run levels
        roll = np.cumsum(rng.standard_normal(n)) * 0.08
        acc[:, 1] += 0.45 * np.sin(roll)
        acc[:, 2] += 0.45 * (np.cos(roll) - 1)
        acc += 0.25 * rng.standard_normal((n, 3))
        gyr[:, 0] += 0.9 * np.gradient(roll) * rate / 4 + 0.3 * rng.standard_normal(n)
        gyr[:, 2] += 0.3 * rng.standard_normal(n)
    elif label == "play_solo":
        # bouncing jumps and head shakes
        jumps = (rng.random(n) < 0.06).astype(float)
        acc[:, 2] += rng.uniform(0.4, 0.9) * np.convolve(jumps, np.hanning(7))[:n]
        shake = np.sin(2 * np.pi * rng.uniform(4.0, 6.0) * t) * (rng.random(n) < 0.5)
        gyr[:, 2] += 0.6 * shake
        acc[:, 1] += 0.2 * shake
        acc += 0.12 * rng.standard_normal((n, 3))
    else:  # pragma: no cover - labels come from BEHAVIOURS
        raise ValueError(label)
    acc += gravity
    return np.hstack([acc, gyr])


def _jitter_play_edges(rng: np.random.Generator, labels: np.ndarray, segs: list, jitter: int) -> np.ndarray:
    """Annotators mark play onsets and offsets up to ``jitter`` steps early or late."""
    out = labels.copy()
    ends = np.cumsum([n for _, n in segs])
    total = len(labels)
    for i, (lab, n) in enumerate(segs):  # a loop over bouts, not timesteps
        if not lab.startswith("play"):
            continue
        a, b = int(ends[i] - n), int(min(ends[i], total))
        if a >= total:
            break
        d_on, d_off = (int(v) for v in rng.integers(-jitter, jitter + 1, 2))
        if d_on < 0:  # marked early: the label starts before the play
            out[max(a + d_on, 0) : a] = lab
        elif d_on > 0 and a > 0:  # marked late: the first steps keep the previous label
            out[a : min(a + d_on, b)] = labels[a - 1]
        if d_off > 0:  # marked late: the label runs past the play
            out[b : min(b + d_off, total)] = lab
        elif d_off < 0 and b < total:  # marked early: the last steps get the next label
            out[max(b + d_off, a) : b] = labels[b]
    return out


def generate_demo_recordings(
    n_animals: int = 12,
    recordings_per_animal: int = 2,
    minutes: float = 6.0,
    sample_rate_hz: float = 25.0,
    play_prob: float = 0.4,
    unlabelled_fraction: float = 0.04,
    seed: int = 7,
) -> pd.DataFrame:
    """Generate the demo recordings as one long-format DataFrame (one row per timestep).

    Parameters
    ----------
    n_animals, recordings_per_animal
        Animals (the split groups) and recordings per animal.
    minutes
        Length of each recording.
    sample_rate_hz
        Sample rate of the IMU.
    play_prob
        Chance that a walk/run/forage bout is followed by a play bout.
    unlabelled_fraction
        Fraction of each recording blanked out as unlabelled.
    seed
        Everything is drawn from ``numpy.random.default_rng(seed)``: same seed, same data.
    """
    rng = np.random.default_rng(seed)
    n_steps = int(round(minutes * 60 * sample_rate_hz))
    frames = []
    for a in range(n_animals):
        rot = _rotation(rng, 40.0)  # collar orientation
        offset = np.concatenate([rng.normal(0, 0.08, 3), rng.normal(0, 0.06, 3)])
        gain = rng.uniform(0.75, 1.35, 6)
        noise = rng.uniform(0.05, 0.14)
        # animals differ in how playful they are, the youngest most
        animal_play = play_prob * rng.uniform(0.4, 1.6)
        for r in range(recordings_per_animal):
            segs = _segments(rng, n_steps, sample_rate_hz, animal_play)
            sig = np.vstack([_segment_signal(rng, lab, n, sample_rate_hz) for lab, n in segs])[:n_steps]
            labels = np.concatenate([np.full(n, lab, dtype=object) for lab, n in segs])[:n_steps]
            labels = _jitter_play_edges(rng, labels, segs, int(0.6 * sample_rate_hz))
            sig[:, :3] = sig[:, :3] @ rot.T
            sig[:, 3:] = sig[:, 3:] @ rot.T
            sig = sig * gain + offset + noise * rng.standard_normal(sig.shape)
            # smooth transitions a little (sensor low-pass)
            k = np.array([0.25, 0.5, 0.25])
            sig = np.vstack([np.convolve(sig[:, c], k, mode="same") for c in range(6)]).T
            # unlabelled stretches: observer lost sight
            n_gaps = rng.integers(1, 4)
            gap_len = int(unlabelled_fraction * n_steps / n_gaps)
            for s in rng.integers(0, n_steps - gap_len, n_gaps):
                labels[s : s + gap_len] = None
            # a few missing samples
            miss = rng.random(n_steps) < 0.0005
            sig[miss, rng.integers(0, 6)] = np.nan
            rec_id = f"a{a + 1:02d}_r{r + 1}"
            frame = pd.DataFrame(sig.astype(np.float32), columns=CHANNELS)
            frame.insert(0, "time_s", np.round(np.arange(n_steps) / sample_rate_hz, 4))
            frame.insert(0, "animal_id", f"animal_{a + 1:02d}")
            frame.insert(0, "recording_id", rec_id)
            frame["behaviour"] = pd.array(labels, dtype="string")
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


COMPLETE_MARKER = ".complete"  # the names of a whole demo set, written after its last file


def write_demo_recordings(folder: str | Path, seed: int = 7, **kwargs) -> list[Path]:
    """Write the demo recordings as one Parquet file per animal under ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    df = generate_demo_recordings(seed=seed, **kwargs)
    paths = []
    for animal, part in df.groupby("animal_id", sort=True):
        path = folder / f"{animal}.parquet"
        tmp = folder / f".{animal}.parquet.{os.getpid()}-{threading.get_ident()}.tmp"
        part.reset_index(drop=True).to_parquet(tmp, index=False)
        tmp.replace(path)
        paths.append(path)
    # written last: a folder without it holds a set cut short (ensure_demo_recordings redoes it)
    (folder / COMPLETE_MARKER).write_text("\n".join(p.name for p in paths) + "\n")
    return paths


@contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive ``flock`` on ``lock_path`` (POSIX; elsewhere no lock). Written by
    hand: the standard library has no cross-process lock, and one call site needs it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_demo_recordings(folder: str | Path, seed: int = 7, **kwargs) -> Path:
    """Generate the demo recordings into ``folder`` on first use; return the folder.

    Several processes may ask at once (a sweep's workers on a fresh checkout): one
    generates while the others wait on a lock in the folder, so none sees a half-written
    set or races another's temporary files. A set cut short (a generation killed part way:
    some files, no ``.complete`` marker) is generated again, whole."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder / ".generating.lock"):
        if not (folder / COMPLETE_MARKER).is_file():
            write_demo_recordings(folder, seed=seed, **kwargs)
    return folder
