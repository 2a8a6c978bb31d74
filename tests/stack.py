"""The office stack on loopback, for the stack test and bench/load: app processes (`streamlit run
app.py`, started as deploy/sanwei@.service starts them) and Debian's nginx with a self-signed
certificate, configured by scoring.deploy. Everything lives in one temporary directory; nothing
under /etc is touched. Callers skip (or, with SANWEI_REQUIRE_NGINX=1, fail) on NginxUnavailable.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from scoring.deploy import Site, nginx_main, prepare_prefix

ROOT = Path(__file__).resolve().parents[1]
NGINX = os.environ.get("SANWEI_NGINX", "/usr/sbin/nginx")


class NginxUnavailable(RuntimeError):
    """No nginx or openssl binary: the caller skips or fails."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 90, log: Path | None = None) -> None:
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2, context=ctx if url.startswith("https") else None) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{url} did not come up: {tail}")
        time.sleep(0.3)


def app_command(port: int, allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
                post_script_gc: bool | None = None) -> list[str]:
    """The command line of one app process (as in deploy/sanwei@.service)."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    for host in allowed_hosts:
        cmd.append(f"--server.allowedHosts={host}")
    if post_script_gc is not None:
        cmd += ["--runner.postScriptGC", "true" if post_script_gc else "false"]
    return cmd


class App:
    """One app process on 127.0.0.1:`port`."""

    def __init__(self, port: int, env: dict[str, str], workdir: Path, **kw):
        self.port = port
        self.log = workdir / f"app-{port}.log"
        self.cmd = app_command(port, **kw)
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def backend(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> App:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_http(f"{self.url}/_stcore/health", self.proc, log=self.log)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def rss_mb(self) -> float:
        """Resident memory of the process, MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def listening(port: int) -> list[str]:
    """The local addresses with a TCP socket listening on `port` (IPv4 and IPv6, from /proc/net)."""
    found = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, _, hexport = local.partition(":")
            if state != "0A" or int(hexport, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(addr)
            if v6:  # four little-endian 32-bit words
                found.append(str(ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))))
            else:
                found.append(str(ipaddress.IPv4Address(raw[::-1])))
    return found


def raw_request(port: int, request: str, tls: bool = True, timeout: float = 10) -> tuple[int, dict[str, str]]:
    """Send `request` (a whole HTTP/1.1 head, no body) to 127.0.0.1:`port` and read the answer's
    status and headers: for what a browser never sends (a foreign Origin or Host, a body the size
    of nothing it would upload). Header names are lower-cased; repeated ones joined by ", "."""
    import ssl

    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
    with sock:
        sock.sendall(request.replace("\n", "\r\n").encode() + b"\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                break
            head += chunk
    lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(lines[0].split()[1]), headers


def websocket_head(host: str, origin: str | None = None) -> str:
    """The opening handshake of Streamlit's WebSocket as a browser at `origin` sends it."""
    return ("GET /_stcore/stream HTTP/1.1\nHost: " + host + "\nUpgrade: websocket\nConnection: Upgrade\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n"
            "Sec-WebSocket-Protocol: streamlit\n" + (f"Origin: {origin}\n" if origin else ""))


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throw-away certificate for localhost and 127.0.0.1 (openssl)."""
    if not shutil.which("openssl"):
        raise NginxUnavailable("openssl not installed (apt-get install openssl)")
    cert, key = directory / "sanwei.crt", directory / "sanwei.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    key.chmod(0o600)
    return cert, key


class Nginx:
    """Debian's nginx in front of `backends`, on https://127.0.0.1:`port`, from a private prefix."""

    def __init__(self, backends: list[str], workdir: Path, port: int | None = None):
        if not Path(NGINX).exists():
            raise NginxUnavailable(f"{NGINX} not installed (apt-get install nginx)")
        self.port = port or free_port()
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        cert, key = self_signed(self.prefix)
        site = Site(tuple(backends), server_name="localhost 127.0.0.1", listen=f"127.0.0.1:{self.port}",
                    cert=str(cert), key=str(key), http_redirect=False)
        prepare_prefix(self.prefix)
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(nginx_main(site, self.prefix, worker_processes=1))
        if os.geteuid() == 0:  # workers run as nobody: they must reach the temp directories
            for d in (self.prefix, *self.prefix.joinpath("tmp").iterdir(), self.prefix / "tmp"):
                d.chmod(0o755)
                if d.parent.name == "tmp":
                    shutil.chown(d, "nobody")

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _nginx(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-c", str(self.conf), "-p", f"{self.prefix}/", *args],
                              capture_output=True, text=True, timeout=30)

    def start(self) -> Nginx:
        check = self._nginx("-t")
        if check.returncode:
            raise RuntimeError(f"nginx -t failed: {check.stderr}")
        run = self._nginx()
        if run.returncode:
            raise RuntimeError(f"nginx did not start: {run.stderr}")
        wait_http(f"{self.url}/_stcore/health", timeout=30, log=self.prefix / "error.log")
        return self

    def stop(self) -> None:
        if (self.prefix / "nginx.pid").exists():
            self._nginx("-s", "stop")
            for _ in range(50):
                if not (self.prefix / "nginx.pid").exists():
                    break
                time.sleep(0.1)
