"""Training on several devices or machines with TensorFlow's own engines (``tf.distribute``), not ours.

- ``mirrored``: ``MirroredStrategy`` over every local GPU, or over the CPU split into ``--cpu-devices`` logical
  devices when there is no GPU (how the tests run it, and a way to try it on a laptop);
- ``multi-worker``: ``MultiWorkerMirroredStrategy`` across machines, each started with the standard ``TF_CONFIG``
  environment variable naming the cluster and its own task (see README, "Training on many devices").

The recipe's batch size and learning rate are per replica: the global batch is ``batch_size`` times the number
of replicas and the learning rate grows with it (the linear scaling rule), so one replica trains exactly as
without a strategy. Every worker trains; only the chief writes the run's files (``is_chief``).
"""

from __future__ import annotations

import json
import os

from digits.errors import DigitsError
from digits.training.config import STRATEGIES
from digits.training.tfimport import tf


def split_cpu(devices: int) -> None:
    """Show the CPU to TensorFlow as ``devices`` logical devices; must run before TensorFlow touches a device."""
    if devices < 2:
        return
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * devices)


def cluster_spec() -> dict:
    """``TF_CONFIG`` parsed; a DigitsError naming the problem when it is missing or malformed."""
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        raise DigitsError("--distribute multi-worker: TF_CONFIG is not set (see README, 'Training on many devices')")
    try:
        spec = json.loads(raw)
        spec["cluster"], spec["task"]["type"], int(spec["task"]["index"])
    except (ValueError, KeyError, TypeError):
        raise DigitsError("TF_CONFIG: not a JSON object with 'cluster' and 'task' {'type', 'index'}") from None
    return spec


def strategy_for(name: str) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy called ``name`` (``none``: TensorFlow's default, one device)."""
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] if gpus else [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multi-worker":
        cluster_spec()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise DigitsError(f"--distribute {name}: unknown (known: {', '.join(STRATEGIES)})")


def is_chief() -> bool:
    """Whether this process writes the run: always without ``TF_CONFIG``; else the ``chief`` task, or worker 0
    when the cluster has no chief (TensorFlow's own convention)."""
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return True
    spec = cluster_spec()
    task_type, index = spec["task"]["type"], int(spec["task"]["index"])
    if "chief" in spec["cluster"]:
        return task_type == "chief"
    return task_type == "worker" and index == 0
