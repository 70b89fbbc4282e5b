"""A Spark standalone cluster on this machine: one master and its workers, each its own JVM, on loopback.

The scale-out path (``open_dataset(dir, "pyspark://spark://HOST:PORT")``) runs the same
Ibis expressions on a company's Spark cluster; this starts a small real one (not local
mode) so the parity test and ``make bench`` exercise that path as a cluster would: the
driver here, executors in the workers' JVMs, the data on a path all of them read. Each
process is started in its own session and stopped by its process id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"


def _free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    """True once something accepts connections on ``port`` (loopback)."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _stop(processes: list[subprocess.Popen]) -> None:
    """Stop each process group (the JVM and its launcher script) by id: TERM, then KILL after 15 s."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def standalone_cluster(
    work_dir: Path, workers: int = 2, cores: int = 1, memory: str = "1g", timeout: float = 90.0
) -> Iterator[str]:
    """Start a master and ``workers`` workers on loopback; yields the ``pyspark://spark://...`` engine URL.

    Logs go to ``work_dir``; everything is stopped on exit, also after an error.
    """
    import pyspark

    home = Path(pyspark.__file__).parent
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST, "PYSPARK_PYTHON": sys.executable}
    env["SPARK_WORKER_DIR"] = str(work_dir / "work")
    spark_class = str(home / "bin" / "spark-class")
    work_dir.mkdir(parents=True, exist_ok=True)
    port, processes = _free_port(), []

    def start(name: str, *args: str) -> None:
        log = (work_dir / f"{name}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [spark_class, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        )

    driver_ip = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = HOST  # a driver JVM started inside binds to loopback too
    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", HOST, "--port", str(port),
              "--webui-port", str(_free_port()))  # fmt: skip
        deadline = time.monotonic() + timeout
        while not _listening(port):
            if time.monotonic() > deadline or processes[0].poll() is not None:
                raise RuntimeError(f"the Spark master did not start (see {work_dir / 'master.log'})")
            time.sleep(0.5)
        master = f"spark://{HOST}:{port}"
        for number in range(workers):
            start(f"worker{number}", "org.apache.spark.deploy.worker.Worker", master, "--host", HOST,
                  "--cores", str(cores), "--memory", memory, "--webui-port", str(_free_port()))  # fmt: skip
        yield f"pyspark://{master}"
    finally:
        _stop(processes[::-1])
        if driver_ip is None:
            os.environ.pop("SPARK_LOCAL_IP", None)
        else:
            os.environ["SPARK_LOCAL_IP"] = driver_ip


def executors(session) -> int:
    """How many executors (not counting the driver) have registered with a Spark session."""
    return session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1


def wait_for_executors(session, count: int, timeout: float = 90.0) -> int:
    """Wait until ``count`` executors have registered (or ``timeout`` passes); returns how many have."""
    deadline = time.monotonic() + timeout
    while executors(session) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    return executors(session)
