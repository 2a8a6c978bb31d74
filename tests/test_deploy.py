"""The office deployment's files: the nginx site generated for N app processes, its limits and
headers, the app processes' command line and settings (deploy/, scoring/deploy.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from scoring.cli import main
from scoring.deploy import UPSTREAM_IDLE_S, DeployError, Site, csp, nginx_main, nginx_site, prepare_prefix, upload_mb
from scoring.limits import Limits, MiB
from tests.stack import NGINX, app_command

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def backends(n: int) -> tuple[str, ...]:
    return tuple(f"127.0.0.1:{8501 + i}" for i in range(n))


@pytest.mark.parametrize("n", [1, 2, 5])
def test_one_upstream_and_cookie_route_per_app_process(n):
    text = nginx_site(Site(backends(n)))
    for i, b in enumerate(backends(n), 1):
        block = re.search(rf"upstream sanwei_b{i} \{{(.*?)\}}", text, re.S).group(1)
        assert f"server {b} max_fails=1" in block  # its own process first, every other one as a backup
        assert sorted(re.findall(r"server (\S+) backup;", block)) == sorted(set(backends(n)) - {b})
        assert f"    b{i} sanwei_b{i};" in text
        assert f"sanwei_backend=b{i}; Path=/; Secure; HttpOnly; SameSite=Lax" in text
        assert f"keepalive_timeout {UPSTREAM_IDLE_S}s;" in block
    pool = re.search(r"upstream sanwei_pool \{(.*?)\}", text, re.S).group(1)
    assert f"keepalive_timeout {UPSTREAM_IDLE_S}s;" in pool
    assert "least_conn" in pool and len(re.findall(r"server 127", pool)) == n
    assert "{{" not in text and not re.search(r"^\s*ip_hash", text, re.M)


def test_security_headers_tls_websockets_and_the_upload_limit():
    text = nginx_site(Site(backends(2), server_name="kaohe.example.gov.cn"))
    assert "listen 443 ssl;" in text and "ssl_protocols TLSv1.2 TLSv1.3;" in text
    assert "return 301 https://$host$request_uri;" in text
    for header in ("Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy",
                   "X-Frame-Options"):
        assert re.search(rf'add_header {header} ".+" always;', text), header
    assert "frame-ancestors 'none'" in csp() and "'unsafe-eval'" not in csp()
    # no location has an add_header of its own (it would drop every server-level header there)
    for location in re.findall(r"location [^{]+\{(.*?)\n    \}", text, re.S):
        assert "add_header" not in location
    ws = re.search(r"location = /_stcore/stream \{(.*?)\n    \}", text, re.S).group(1)
    assert "proxy_set_header Upgrade $http_upgrade;" in ws and "proxy_read_timeout 1h;" in ws
    assert "proxy_set_header Host $http_host;" in ws  # with the port: Streamlit compares Origin with Host
    # the upload budget: nginx lets through what the product accepts, and not much more
    body = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    assert upload_mb() == Limits().max_upload_bytes // MiB == CONFIG["server"]["maxUploadSize"]
    assert CONFIG["server"]["maxUploadSize"] < body <= CONFIG["server"]["maxUploadSize"] + 2


def test_nginx_closes_idle_upstream_connections_before_the_app_does():
    """An app process's server (uvicorn) closes an idle connection after its keep-alive timeout; a
    request nginx sends on it at that moment is reset, which marks the process failed and moves
    the browser (seen in the stack test under load). nginx must give up idle connections first."""
    import inspect

    import uvicorn

    assert UPSTREAM_IDLE_S < inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default


def test_only_loopback_app_processes():
    for bad in [(), ("10.0.0.5:8501",), ("0.0.0.0:8501",), ("127.0.0.1:8501", "127.0.0.1:8501"), ("127.0.0.1",)]:
        with pytest.raises(DeployError):
            nginx_site(Site(bad))
    with pytest.raises(DeployError):
        nginx_site(Site(backends(1), server_name="x; include /etc/passwd"))


def test_the_committed_site_is_the_generators_output(capsys):
    """deploy/nginx/sanwei.conf is generated, never edited by hand: regenerate it when this fails."""
    assert main(["deploy", "nginx"]) == 0
    assert capsys.readouterr().out == (ROOT / "deploy" / "nginx" / "sanwei.conf").read_text()


@pytest.mark.parametrize("n", [1, 3])
def test_nginx_accepts_the_configuration(tmp_path, n):
    if not Path(NGINX).exists():
        if os.environ.get("SANWEI_REQUIRE_NGINX") == "1":
            pytest.fail(f"nginx is required (SANWEI_REQUIRE_NGINX=1) but {NGINX} is missing")
        pytest.skip("nginx not installed (apt-get install nginx)")
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    from tests.stack import self_signed

    cert, key = self_signed(tmp_path)
    prepare_prefix(tmp_path)
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_main(Site(backends(n), listen="127.0.0.1:18999", cert=str(cert), key=str(key)), tmp_path))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", f"{tmp_path}/"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_app_processes_bind_loopback_and_skip_the_gc_after_every_run():
    assert CONFIG["server"]["address"] == "127.0.0.1"
    assert CONFIG["runner"]["postScriptGC"] is False
    assert CONFIG["client"]["toolbarMode"] == "minimal" and CONFIG["client"]["showErrorDetails"] == "none"
    unit = (ROOT / "deploy" / "systemd" / "sanwei@.service").read_text()
    start = unit.split("ExecStart=")[1].split("\nRestart")[0]
    assert "--server.address=127.0.0.1" in start and "--server.port=%i" in start
    assert "--server.allowedHosts=${SANWEI_SERVER_NAME}" in start
    assert "EnvironmentFile=/etc/sanwei/sanwei.env" in unit
    env = (ROOT / "deploy" / "sanwei.env.example").read_text()
    for name in ("SANWEI_DATABASE_URL", "STREAMLIT_SERVER_COOKIE_SECRET", "SANWEI_SERVER_NAME"):
        assert re.search(rf"^{name}=", env, re.M), name
    assert not re.search(r"^SANWEI_DEMO=", env, re.M)
    # the unit's memory cap leaves the upload reader its own limit (scoring/limits.py) plus the app itself:
    # otherwise the kernel kills the app mid-import instead of the product refusing the file with a message
    cap = int(re.search(r"^MemoryMax=(\d+)G$", unit, re.M).group(1)) << 30
    assert cap >= Limits().child_memory_bytes + (1 << 30)
    # the test stack starts its processes the same way
    cmd = app_command(8501)
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1" and "--server.allowedHosts=127.0.0.1" in cmd
