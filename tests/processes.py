"""Real services the storage, cluster and standby tests start on loopback: started, waited for, stopped.

Every wait is bounded; every process started here is stopped by the fixture or context manager that
started it (its whole process group), whatever the test's outcome. Ports come from CLUSTER_PORTS (default
18700-18799), so that parallel checkouts can be given ranges of their own.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def port_range() -> range:
    low, _, high = os.environ.get("CLUSTER_PORTS", "18700-18799").partition("-")
    return range(int(low), int(high) + 1)


def free_port(*, skip: set[int] = frozenset()) -> int:
    """A port of the range that nothing listens on now."""
    for port in port_range():
        if port in skip:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {port_range()} (CLUSTER_PORTS)")


def free_ports(count: int) -> list[int]:
    taken: set[int] = set()
    for _ in range(count):
        taken.add(free_port(skip=taken))
    return sorted(taken)


def wait_for(predicate, *, timeout: float, what: str, process: subprocess.Popen | None = None, log=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {process.returncode}{_tail(log)}")
        try:
            result = predicate()
        except Exception as exc:  # not up yet
            last = exc
        else:
            if result:
                return result
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s (last error: {last}){_tail(log)}")


def _tail(log) -> str:
    if not log:
        return ""
    try:
        text = Path(log).read_text(errors="replace")
    except OSError:
        return ""
    return "\n--- last lines of " + str(log) + " ---\n" + "\n".join(text.splitlines()[-30:])


def http_get(url: str, *, timeout: float = 5.0) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def start(command: list[str], *, log: Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    handle = log.open("ab")
    try:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends its children too
        )
    finally:
        handle.close()


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)


@contextlib.contextmanager
def moto_s3(log_dir: Path, *, port: int | None = None) -> Iterator[str]:
    """moto's S3 server on a loopback port (a free one, or `port`: a store back where it was); yields its
    endpoint URL."""
    port = port or free_port()
    log = log_dir / "moto.log"
    process = start([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], log=log)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: http_get(endpoint + "/moto-api/")[0] == 200,
            timeout=30,
            what="moto",
            process=process,
            log=log,
        )
        yield endpoint
    finally:
        stop(process)


S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "newborn-test",
    "AWS_SECRET_ACCESS_KEY": "newborn-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The variables that switch the app to the object store (docs/configuration.md)."""
    return {
        **S3_CREDENTIALS,
        "NEWBORN_S3_BUCKET": bucket,
        "NEWBORN_S3_ENDPOINT_URL": endpoint,
        "NEWBORN_S3_REGION": "us-east-1",
        "NEWBORN_S3_ADDRESSING_STYLE": "path",
    }


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
