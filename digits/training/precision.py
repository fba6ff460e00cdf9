"""Which number format the network trains in: bfloat16 where the CPU computes it natively, float32 elsewhere.

Intel's AMX and AVX512-BF16 units (and AMD's AVX512-BF16) multiply bfloat16 matrices in hardware, and TensorFlow's
oneDNN kernels use them: on such a CPU the network trains about twice as fast in Keras' ``mixed_bfloat16``
policy (computations in bfloat16, weights and their updates in float32). Without those units bfloat16 is
emulated and slower than float32, so ``auto`` picks it only where the CPU says it has them. The last layer
(the softmax) stays float32 for a stable loss, and the trained weights are copied into a float32 network before
anything is measured or saved, so the saved model and its exports are the same kind whichever way it trained.
"""

from __future__ import annotations

from pathlib import Path

from digits.training.config import PRECISIONS

NATIVE_BFLOAT16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
"""CPU flags (as Linux lists them in /proc/cpuinfo) of units that compute bfloat16 in hardware."""
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    """The CPU's feature flags, or none where the system does not list them (not Linux)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def resolve_precision(precision: str, flags: set[str] | None = None) -> str:
    """``auto`` becomes ``mixed_bfloat16`` on a CPU with native bfloat16 units (and no GPU), else ``float32``; the
    others stay as they are."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if flags is None:
        from digits.training.tfimport import tf

        if tf.config.list_physical_devices("GPU"):
            return "float32"  # a GPU's own mixed precision is float16 with loss scaling: not this policy
        flags = cpu_flags()
    return "mixed_bfloat16" if flags & NATIVE_BFLOAT16_FLAGS else "float32"
