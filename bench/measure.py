"""What bench/train_throughput.py and bench/predict_throughput.py share: the dataset they read, the
device they run on, and peak memory.

Peak memory is the CUDA caching allocator's peak of allocated bytes on a GPU (what the tensors
needed; ``nvidia-smi`` shows a little more: the allocator's reserve and the CUDA context), and the
process's peak resident set on a CPU. GB are 10^9 bytes.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@contextlib.contextmanager
def dataset_dir(data: Path | None) -> Iterator[Path]:
    """``data`` when given, else the embedded sample built into a temporary folder (~20 s)."""
    if data is not None:
        yield data
        return
    from pisar_data import cli

    with tempfile.TemporaryDirectory(prefix="pisar-bench-") as tmp:
        out = Path(tmp) / "pisar"
        if cli.main(["build", "--out", str(out), "--work", str(Path(tmp) / "work"), "--quiet"]) != 0:
            raise SystemExit("building the embedded sample failed; pass --data DIR (a folder `pisar build` wrote)")
        yield out


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def device_label() -> str:
    """``cpu`` or ``cuda:<GPU name>`` with spaces as dashes, for the machine-readable line."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    return "cuda:" + torch.cuda.get_device_name(0).replace(" ", "-")


def synchronize() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def peak_memory_gb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # ru_maxrss is in KiB on Linux
