"""Runs `GradientMonitor`'s probes on a background thread, in order."""

import collections
import threading

import keras


class ProbeWorker:
    """Runs jobs one at a time on a background thread, in the order queued.

    The thread starts when a job is queued (or `start` is called) and ends
    as soon as the queue is empty, so none outlives its jobs: not after
    `fit` ends, nor after a `fit` interrupted by an exception, whose queued
    jobs (a few probes) finish and are dropped. It is not a daemon thread:
    the interpreter waits for the running job rather than stopping the
    backend in the middle of it.

    Keras keeps its global settings per thread. The thread runs under the
    dtype policy, distribution and flash-attention setting of the thread
    that created the worker.

    Args:
        run: Callable taking one job and returning its result.
    """

    def __init__(self, run):
        self._run = run
        self._jobs, self._done = collections.deque(), collections.deque()
        self._cond = threading.Condition()
        self._busy, self._thread = False, None
        self._settings = _keras_settings()

    def submit(self, job, start=True):
        """Queues `job`; with `start=False` it waits for `start`."""
        with self._cond:
            self._jobs.append(job)
            if start:
                self._start()

    def start(self):
        """Starts the thread if jobs wait and none is running."""
        with self._cond:
            self._start()

    def results(self, block=False):
        """Takes the finished jobs as `(job, result, error)` tuples, in
        order; `error` is the exception `run` raised, else `None`.

        Args:
            block: Whether to wait until every queued job has finished.
        """
        with self._cond:
            if block:
                self._start()
                while self._jobs or self._busy:
                    self._cond.wait()
            done = list(self._done)
            self._done.clear()
        return done

    def close(self):
        """Drops the queued jobs and waits for the running one to end."""
        with self._cond:
            self._jobs.clear()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _start(self):
        if self._jobs and not self._busy:
            self._thread = threading.Thread(
                target=self._loop, name="GradientMonitor-probe")
            self._busy = True
            self._thread.start()

    def _loop(self):
        _apply(self._settings)
        while True:
            with self._cond:
                if not self._jobs:
                    self._busy = False
                    self._cond.notify_all()
                    return
                job = self._jobs.popleft()
            try:
                result, error = self._run(job), None
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                result, error = None, exc
            with self._cond:
                self._done.append((job, result, error))
                self._cond.notify_all()


def _keras_settings():
    return {"policy": keras.config.dtype_policy(),
            "distribution": keras.distribution.distribution(),
            "flash": keras.config.is_flash_attention_enabled()}


def _apply(settings):
    keras.config.set_dtype_policy(settings["policy"])
    if settings["distribution"] is not None:
        keras.distribution.set_distribution(settings["distribution"])
    if settings["flash"] is True:
        keras.config.enable_flash_attention()
    elif settings["flash"] is False:
        keras.config.disable_flash_attention()
