"""Data-parallel training across processes and machines on the JAX backend.

One process per host (or several on one host), each started with the same
command and Keras's standard environment variables:

- `KERAS_DISTRIBUTION_JOB_ADDRESSES`: the coordinator, `host:port` of
  process 0 (or every process's address, comma-separated, coordinator first);
- `KERAS_DISTRIBUTION_NUM_PROCESSES`: how many processes take part;
- `KERAS_DISTRIBUTION_PROCESS_ID`: this process's index, `0` to `N - 1`.

`initialize_data_parallel()` reads them, starts JAX's distributed runtime
(CPU collectives through gloo), and sets `keras.distribution.DataParallel()`
over every device of every process. Build and `fit` as usual afterwards, on a
batched `tf.data.Dataset` with `drop_remainder=True`: Keras gives each process
its share of every global batch.
"""

import os
import socket
import time
from typing import NamedTuple

import keras

from kerasnn.callbacks import _keras_compat
from kerasnn.errors import KerasnnError
from kerasnn.errors import KerasnnValueError

ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


class ProcessInfo(NamedTuple):
    """Where this process stands: `index` (0 writes the outputs) of `count`."""

    index: int
    count: int

    @property
    def is_chief(self):
        """`True` for process 0, the one that writes models, metrics, plots."""
        return self.index == 0


def initialize_data_parallel(*, job_addresses=None, num_processes=None,
                             process_id=None, timeout=60):
    """Starts multi-process data parallelism on JAX and returns `ProcessInfo`.

    Call it first, before any other JAX or Keras work (building a model
    counts). Arguments left `None` are read from the environment variables
    named in the module docstring; with none of them set and no arguments,
    this is a single process, and the distribution covers its local devices.

    Args:
        job_addresses: String. `host:port` of process 0, or all processes'
            addresses, comma-separated, process 0 first.
        num_processes: Integer >= 1. Number of processes.
        process_id: Integer in `[0, num_processes)`. This process's index.
        timeout: Number > 0. Seconds to wait for the coordinator and the
            other processes. Defaults to `60`. A process other than 0 raises
            when the coordinator does not answer in time; process 0, which
            hosts the coordinator, is ended by JAX when a peer does not join.
            A peer that dies mid-run ends the others after `timeout` seconds
            (at least 10), JAX's heartbeat.

    Returns:
        A `ProcessInfo(index, count)`.

    Raises:
        KerasnnValueError: a missing or malformed variable, an index out of
            range, another backend than JAX, or no coordinator in time.

    Example:

    ```python
    info = kerasnn.initialize_data_parallel()   # reads KERAS_DISTRIBUTION_*
    model = kerasnn.build_model("binary", 30)
    model.fit(dataset, epochs=3)                # a batched tf.data.Dataset
    if info.is_chief:
        model.save("model.keras")
    ```
    """
    env = os.environ
    if job_addresses is None:
        job_addresses = env.get(ADDRESSES) or None
    if num_processes is None and env.get(NUM_PROCESSES):
        num_processes = _int_var(NUM_PROCESSES, env[NUM_PROCESSES])
    if process_id is None and env.get(PROCESS_ID):
        process_id = _int_var(PROCESS_ID, env[PROCESS_ID])
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise KerasnnValueError(
            f"`timeout` must be a number of seconds > 0. Received: "
            f"timeout={timeout!r}.")
    if keras.backend.backend() != "jax":
        raise KerasnnValueError(
            "Multi-process data parallelism needs the JAX backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Set KERAS_BACKEND=jax "
            "in every process.")

    import jax

    if job_addresses is None and num_processes in (None, 1) and not process_id:
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        return ProcessInfo(jax.process_index(), jax.process_count())
    addresses = _addresses(job_addresses)
    if num_processes is None:
        raise KerasnnValueError(
            f"{NUM_PROCESSES} must be the number of processes (an integer "
            f">= 1). Received: unset. Set it to the same value in every "
            "process.")
    if num_processes < 1:
        raise KerasnnValueError(
            f"{NUM_PROCESSES} must be an integer >= 1. Received: "
            f"{NUM_PROCESSES}={num_processes}.")
    if len(addresses) > 1 and len(addresses) != num_processes:
        raise KerasnnValueError(
            f"{ADDRESSES} must name the coordinator only, or one address per "
            f"process. Received: {len(addresses)} addresses and "
            f"{NUM_PROCESSES}={num_processes}.")
    if process_id is None:
        raise KerasnnValueError(
            f"{PROCESS_ID} must be this process's index, 0 to "
            f"{num_processes - 1}. Received: unset. Give each process its own "
            "index; process 0 runs on the coordinator's host.")
    if not 0 <= process_id < num_processes:
        raise KerasnnValueError(
            f"{PROCESS_ID} must be in [0, {num_processes - 1}] (there are "
            f"{NUM_PROCESSES}={num_processes} processes). Received: "
            f"{PROCESS_ID}={process_id}.")
    coordinator = addresses[0]
    if process_id != 0:
        # JAX ends the whole process (no exception) when the coordinator
        # never answers; knock first, so the error is one line.
        _wait_for(coordinator, timeout)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=f"{coordinator[0]}:{coordinator[1]}",
        num_processes=num_processes, process_id=process_id,
        initialization_timeout=max(1, int(timeout)),
        # A dead peer ends the others after this long, not JAX's 100 s.
        heartbeat_timeout_seconds=max(10, int(timeout)),
        shutdown_timeout_seconds=max(10, int(timeout)))
    _agree_on_seed()
    keras.distribution.set_distribution(keras.distribution.DataParallel())
    return ProcessInfo(jax.process_index(), jax.process_count())


def process_info():
    """`ProcessInfo` of the running process (`(0, 1)` outside a cluster)."""
    if keras.backend.backend() != "jax":
        return ProcessInfo(0, 1)
    import jax

    return ProcessInfo(jax.process_index(), jax.process_count())


def _agree_on_seed():
    # What `keras.distribution.initialize` does after starting JAX: without
    # a seed set, the processes would draw different initial weights.
    if not _keras_compat.initialize_jax_rng():
        raise KerasnnError(
            "The JAX processes could not agree on a seed: this Keras has no "
            "`distribution_lib.initialize_rng`. Call "
            "`keras.utils.set_random_seed(seed)` with the same seed in every "
            "process before building the model.")


def _int_var(name, text):
    try:
        return int(text.strip())
    except ValueError:
        raise KerasnnValueError(
            f"{name} must be an integer. Received: {name}={text!r}.") from None


def _addresses(text):
    if not text:
        raise KerasnnValueError(
            f"{ADDRESSES} must be the coordinator's host:port (process 0's "
            f"host, a free port), e.g. 10.0.0.1:12345. Received: unset. Set it "
            "to the same value in every process.")
    found = []
    for part in text.split(","):
        host, sep, port = part.strip().rpartition(":")
        host = host.strip("[]")
        if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise KerasnnValueError(
                f"{ADDRESSES} must be host:port entries (port 1-65535), "
                f"comma-separated, e.g. 10.0.0.1:12345. Received: "
                f"{ADDRESSES}={text!r}.")
        found.append((host, int(port)))
    return found


def _wait_for(address, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(address, timeout=1):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise KerasnnValueError(
                    f"{ADDRESSES}: no coordinator answered at "
                    f"{address[0]}:{address[1]} within {timeout:g} s. Start "
                    "process 0 on that host (it hosts the coordinator), or "
                    "fix the address.") from None
            time.sleep(0.2)
