"""HTTP load: `collectguard serve` in its own process, driven by an asyncio client in another.

    python -m bench.http_load [--debtors N] [--duration S] [--workers W] [--json]   # prepare, serve, drive, stop
    python -m bench.http_load client --base URL --token T ... (internal: the client process)

One unit of work is a pair: `POST /v1/attempts` (unique id) then `POST /v1/attempts/{id}/outcome`.
Fixed offered loads are open-loop (a pair is started on schedule whatever the server does; when the
in-flight bound is reached the pair is counted as not sent); latency is measured from the scheduled
start, so queueing shows. Saturation is closed-loop (C workers, back to back). Baseline: the same client,
same workers, against the trivial `GET /healthz`. The client is a hand-rolled keep-alive HTTP/1.1 client
on uvloop (when installed), so that it is not the bottleneck on the shared 2 cores; its CPU per operation
and the cores it kept busy are reported beside the server's (summed over the server's worker
processes). The server uses the wall clock: at night in
Asia/Shanghai most attempts are denied for quiet hours — still a full gate decision; the allow share is
reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import free_port, log, pct_ms, peak_rss_mb, ratio, sqlite_url

RUN_TAG = f"h{os.getpid():x}{int(time.time()) % 100000:x}"


# -- the client process ------------------------------------------------------------------------------
def cpu_s(pid: int | None) -> float | None:
    """User+system CPU seconds so far of a process and its live descendants (uvicorn workers are children
    of the server process), from Linux /proc; None when unreadable."""
    if not pid:
        return None
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    if pid not in times:
        return None
    total = 0.0
    for p, t in times.items():
        q, hops = p, 0
        while q and q != pid and hops < 64:
            q, hops = parents.get(q, 0), hops + 1
        if q == pid:
            total += t
    return total


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time, parsed by hand.

    httpx (pure-Python h11, a pool with locks) cost about 10 ms of client CPU per request on the 2-core
    machine, so the client, not the server, bounded the /healthz baseline. This needs ~0.1 ms: the
    request is prebuilt bytes, the answer is the status line, Content-Length and the body."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buf[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            waiter.set_exception(ConnectionError("response without Content-Length"))
            self.close()
            return
        line_end = head.find(b"\r\n", at + 2)
        length = int(head[at + 17:line_end if line_end > 0 else len(head)])
        total = end + 4 + length
        if len(self.buf) < total:
            return
        body = bytes(self.buf[end + 4:total])
        del self.buf[:total]
        waiter.set_result((int(head[9:12]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("connection closed by the server"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    async def request(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


class Client:
    """Keep-alive connections, each used by one request at a time: a free one is reused, else one is
    opened (the callers bound how many are in flight)."""

    def __init__(self, base: str, token: str) -> None:
        host_port = base.removeprefix("http://").rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        self.free: list[Conn] = []
        self.auth = (f"Host: {host_port}\r\nAuthorization: Bearer {token}\r\n").encode()

    async def _conn(self) -> Conn:
        while self.free:
            conn = self.free.pop()
            if not conn.closed:
                return conn
        _, conn = await asyncio.get_running_loop().create_connection(Conn, self.host, self.port)
        return conn

    async def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if body is None:
            data = f"{method} {path} HTTP/1.1\r\n".encode() + self.auth + b"\r\n"
        else:
            data = (f"{method} {path} HTTP/1.1\r\n".encode() + self.auth
                    + b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                    + b"\r\n\r\n" + body)
        conn = await self._conn()
        try:
            answer = await conn.request(data)
        except BaseException:
            conn.close()
            raise
        self.free.append(conn)
        return answer

    def close(self) -> None:
        for conn in self.free:
            conn.close()
        self.free.clear()


OUTCOME_BODY = b'{"connected": true, "duration_s": 30, "meaningful": true}'


class Driver:
    def __init__(self, base: str, token: str, debtors: int, concurrency: int, server_pid: int | None = None) -> None:
        self.base = base
        self.debtors = debtors
        self.concurrency = concurrency
        self.client = Client(base, token)
        self.counter = 0
        self.server_pid = server_pid
        self._cpu0: float | None = None
        self._own0 = 0.0
        self._t0 = 0.0

    def _next(self, phase: str) -> tuple[str, bytes]:
        k = self.counter
        self.counter += 1
        i = (k * 7919) % self.debtors  # spread over many debtors; a prime stride visits each once per round
        voice = k % 2 == 0
        attempt = {
            "id": f"{RUN_TAG}-{phase}-{k}", "collector": "c1" if i % 2 == 0 else "bot1", "debt": f"l{i}",
            "party": f"d{i}", "channel": "voice" if voice else "sms", "mode": "notification",
            "tool": "tel" if voice else "sms", "template": "t-voice" if voice else "t-sms",
        }
        return attempt["id"], json.dumps(attempt).encode()

    async def pair(self, phase: str, stats: dict[str, Any]) -> bool:
        attempt_id, body = self._next(phase)
        try:
            status, answer = await self.client.call("POST", "/v1/attempts", body)
            if status != 200:
                stats["status"][f"attempt:{status}"] += 1
                return False
            # the decision's "allowed" flag, without parsing the whole answer
            allowed = b'"allowed":true' in answer or (
                b'"allowed":false' not in answer and bool(json.loads(answer).get("allowed")))
            stats["allowed" if allowed else "denied"] += 1
            status, _ = await self.client.call("POST", f"/v1/attempts/{attempt_id}/outcome", OUTCOME_BODY)
            if status != 200:
                stats["status"][f"outcome:{status}"] += 1
                return False
            return True
        except Exception as exc:  # noqa: BLE001 - counted, never fatal
            stats["status"][f"error:{type(exc).__name__}"] += 1
            return False

    async def trivial(self, _phase: str, stats: dict[str, Any]) -> bool:
        try:
            status, _ = await self.client.call("GET", "/healthz")
        except Exception as exc:  # noqa: BLE001
            stats["status"][f"error:{type(exc).__name__}"] += 1
            return False
        if status != 200:
            stats["status"][f"healthz:{status}"] += 1
            return False
        return True

    def _stats(self) -> dict[str, Any]:
        self._cpu0 = cpu_s(self.server_pid)
        self._own0 = time.process_time()
        self._t0 = time.perf_counter()
        return {"status": Counter(), "allowed": 0, "denied": 0}

    def _summary(self, name: str, stats: dict[str, Any], ok: int, elapsed: float, lat: list[float],
                 extra: dict[str, Any]) -> dict[str, Any]:
        decided = stats["allowed"] + stats["denied"]
        cpu1 = cpu_s(self.server_pid)
        cpu_ms = (cpu1 - self._cpu0) * 1000 / ok if ok and cpu1 is not None and self._cpu0 is not None else None
        own_s = time.process_time() - self._own0
        own_ms = own_s * 1000 / ok if ok else None
        wall = time.perf_counter() - self._t0
        server_cores = (cpu1 - self._cpu0) / wall if wall and cpu1 is not None and self._cpu0 is not None else None
        return {
            "server_cpu_ms_per_op": round(cpu_ms, 3) if cpu_ms is not None else None,
            "client_cpu_ms_per_op": round(own_ms, 3) if own_ms is not None else None,
            "server_cores_busy": round(server_cores, 2) if server_cores is not None else None,
            "client_cores_busy": round(own_s / wall, 2) if wall else None,
            "phase": name, **extra, "ok": ok, "elapsed_s": round(elapsed, 2),
            "per_s": round(ok / elapsed, 1) if elapsed else 0.0,
            "p50_ms": pct_ms(lat, 50), "p95_ms": pct_ms(lat, 95), "p99_ms": pct_ms(lat, 99),
            "allow_share": round(stats["allowed"] / decided, 3) if decided else None,
            "failures": dict(stats["status"]),
        }

    async def open_loop(self, rate: float, duration: float, max_inflight: int) -> dict[str, Any]:
        """Start a pair every 1/rate s for `duration` s; latency from the scheduled start."""
        stats, lat, service = self._stats(), [], []
        inflight: set[asyncio.Task[None]] = set()
        not_sent = ok = 0
        phase = f"r{int(rate)}"

        async def one(scheduled: float) -> None:
            nonlocal ok
            started = time.perf_counter()
            if await self.pair(phase, stats):
                done = time.perf_counter()
                ok += 1
                lat.append(done - scheduled)
                service.append(done - started)

        begin = time.perf_counter()
        total = int(rate * duration)
        for n in range(total):
            scheduled = begin + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(inflight) >= max_inflight:
                not_sent += 1
                continue
            task = asyncio.create_task(one(scheduled))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
        sent_window = time.perf_counter() - begin
        if inflight:  # let the server finish what it was given, so the next phase starts clean
            _, pending = await asyncio.wait(set(inflight), timeout=90)
            for task in pending:
                task.cancel()
        elapsed = time.perf_counter() - begin
        out = self._summary(phase, stats, ok, elapsed, lat,
                            {"offered_per_s": rate, "scheduled": total, "not_sent": not_sent,
                             "send_window_s": round(sent_window, 2)})
        out["service_p99_ms"] = pct_ms(service, 99)
        return out

    async def closed_loop(self, name: str, duration: float, trivial: bool = False) -> dict[str, Any]:
        """C workers back to back for `duration` s; throughput counts completions inside the window only."""
        stats, lat = self._stats(), []
        ok = in_window = 0
        work = self.trivial if trivial else self.pair
        begin = time.perf_counter()
        deadline = begin + duration

        async def worker() -> None:
            nonlocal ok, in_window
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                if await work(name, stats):
                    done = time.perf_counter()
                    ok += 1
                    in_window += done <= deadline
                    lat.append(done - t0)
                else:
                    await asyncio.sleep(0.01)  # do not spin on a failing server

        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(self.concurrency))), timeout=duration + 90)
        out = self._summary(name, stats, ok, time.perf_counter() - begin, lat, {"concurrency": self.concurrency})
        out["per_s"] = round(in_window / duration, 1)
        return out


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    driver = Driver(args.base, args.token, args.debtors, args.concurrency, args.server_pid)
    phases: dict[str, Any] = {}
    try:
        await driver.closed_loop("warmup", min(2.0, args.duration))
        for rate in args.rates:
            log(f"http: offered {rate:g} pairs/s for {args.duration:g} s")
            phases[f"r{int(rate)}"] = await driver.open_loop(rate, args.duration, args.max_inflight)
        log(f"http: saturation, {args.concurrency} workers, {args.duration:g} s")
        phases["saturation"] = await driver.closed_loop("sat", args.duration)
        log(f"http: trivial GET /healthz, {args.concurrency} workers, {args.duration:g} s")
        phases["trivial"] = await driver.closed_loop("trivial", args.duration, trivial=True)
    finally:
        driver.client.close()
    return phases


def client_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench.http_load client")
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--debtors", type=int, required=True)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rates", type=lambda v: [float(x) for x in v.split(",")], default=[200.0, 500.0, 1000.0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-inflight", type=int, default=64)
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(_run_loop(drive(args))) + "\n")


def _run_loop(main: Any) -> Any:
    """Run on uvloop when it is installed (the server uses it too), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


# -- preparation and the server process ----------------------------------------------------------------
def prepare(url: str, debtors: int | None, at: datetime) -> str:
    """Migrate, load the bench world (unless `debtors` is None: already loaded) and issue an integration key."""
    from bench.gate_decide import build_world
    from collectguard.auth.roles import Role
    from collectguard.auth.service import issue
    from collectguard.db.migrate import upgrade
    from collectguard.db.store import Store
    from collectguard.registry.service import Registry

    upgrade(url)
    store = Store(url)
    try:
        if debtors is not None:
            build_world(store, debtors, at)
        with store.transaction() as session:
            return issue(Registry(session, at=at - timedelta(hours=1)), role=Role.INTEGRATION,
                         institution_id="bank", label="bench").token
    finally:
        store.dispose()


def _serve_command(url: str, port: int, workers: int | None = None) -> list[str]:
    script = Path(sys.executable).parent / "collectguard"
    head = [str(script)] if script.exists() else [sys.executable, "-c", "from collectguard.cli import main; main()"]
    extra = ["--workers", str(workers)] if workers is not None else []
    return [*head, "serve", "--db", url, "--port", str(port), "--host", "127.0.0.1", *extra]


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready within {timeout:g} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run(url: str, token: str, debtors: int, duration: float, rates: list[float],
        concurrency: int = 32, workers: int | None = None) -> dict[str, Any]:
    """Serve `url`, drive it from a client process, always stop the server; return the figures."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = Path(url.removeprefix("sqlite:///")).with_suffix(".server.log") if url.startswith("sqlite") else None
    sink = log_path.open("wb") if log_path else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(_serve_command(url, port, workers), stdout=sink, stderr=subprocess.STDOUT, env=env)
    rss = None
    try:
        _wait_ready(base, server)
        log(f"http: server pid {server.pid} ready on {base} (RSS {peak_rss_mb(server.pid)} MiB)")
        client_cmd = [sys.executable, "-m", "bench.http_load", "client", "--base", base, "--token", token,
                      "--debtors", str(debtors), "--duration", str(duration),
                      "--rates", ",".join(f"{r:g}" for r in rates), "--concurrency", str(concurrency),
                      "--server-pid", str(server.pid)]
        budget = duration * (len(rates) + 2) + 2 + 90 * (len(rates) + 2) + 60
        done = subprocess.run(client_cmd, capture_output=True, text=True, timeout=budget,
                              cwd=Path(__file__).resolve().parent.parent, check=False)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"client failed ({done.returncode}): {done.stderr[-2000:]}")
        phases = json.loads(done.stdout.strip().splitlines()[-1])
        rss = peak_rss_mb(server.pid)
    finally:
        _stop(server)
        if hasattr(sink, "close"):
            sink.close()
    sat, trivial = phases["saturation"], phases["trivial"]
    result: dict[str, Any] = {
        "http_debtors": debtors,
        "http_rps_max": sat["per_s"],
        "http_requests_per_s_max": round(sat["per_s"] * 2, 1),
        "http_trivial_per_s": trivial["per_s"],
        "http_ratio_to_trivial": ratio(sat["per_s"], trivial["per_s"]),
        "http_sat_p50_ms": sat["p50_ms"],
        "http_sat_p99_ms": sat["p99_ms"],
        "http_allow_share": sat["allow_share"],
        "http_server_cpu_ms_per_pair": sat["server_cpu_ms_per_op"],
        "http_server_cpu_ms_per_trivial": trivial["server_cpu_ms_per_op"],
        "http_client_cpu_ms_per_pair": sat["client_cpu_ms_per_op"],
        "http_client_cpu_ms_per_trivial": trivial["client_cpu_ms_per_op"],
        "http_server_cores_busy_sat": sat["server_cores_busy"],
        "http_client_cores_busy_sat": sat["client_cores_busy"],
        "http_server_cores_busy_trivial": trivial["server_cores_busy"],
        "http_client_cores_busy_trivial": trivial["client_cores_busy"],
        "peak_rss_mb": rss,
        "http_phases": phases,
    }
    for rate in rates:
        p = phases[f"r{int(rate)}"]
        result[f"http_per_s_at_{int(rate)}"] = p["per_s"]
        result[f"http_p50_ms_at_{int(rate)}"] = p["p50_ms"]
        result[f"http_p95_ms_at_{int(rate)}"] = p["p95_ms"]
        result[f"http_p99_ms_at_{int(rate)}"] = p["p99_ms"]
        result[f"http_not_sent_at_{int(rate)}"] = p["not_sent"]
    return result


def copy_sqlite(src_url: str, name: str) -> str:
    """Copy a (disposed, checkpointed) SQLite file and its key file to a new temporary URL."""
    src = Path(src_url.removeprefix("sqlite:///"))
    dst_url = sqlite_url(name)
    dst = Path(dst_url.removeprefix("sqlite:///"))
    shutil.copyfile(src, dst)
    keys = Path(f"{src}.keys.json")
    if keys.exists():
        shutil.copyfile(keys, f"{dst}.keys.json")
        os.chmod(f"{dst}.keys.json", 0o600)
    return dst_url


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        client_main(argv[1:])
        return {}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debtors", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--rates", type=lambda v: [float(x) for x in v.split(",")], default=[200.0, 500.0, 1000.0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, help="server worker processes (default: the server's own)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    url = sqlite_url()
    log(f"http: loading {args.debtors} debtors into {url}")
    token = prepare(url, args.debtors, datetime.now(UTC))
    result = run(url, token, args.debtors, args.duration, args.rates, args.concurrency, args.workers)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        for key, value in result.items():
            if key != "http_phases":
                print(f"{key:28} {value}")
    return result


if __name__ == "__main__":
    main()
