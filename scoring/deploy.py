"""The office server's nginx configuration, generated for N app processes from one template.

`nginx_site(...)` renders `scoring/data/nginx.conf.in` into what goes in /etc/nginx/sites-available
(http-level maps, one upstream per app process, the TLS server); `nginx_main(...)` wraps it in a
complete nginx.conf that runs from a private prefix directory (tests, benchmarks, a trial run).
`sanwei deploy nginx` prints either. The upload limit follows the product's own (scoring/limits.py),
so nginx never refuses a file the product would have accepted, and the CSP is the one Streamlit's
frontend is known to work under (deploy/ and README "Deploying for an office").
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scoring.limits import Limits, MiB
from scoring.text import SanweiError

COOKIE = "sanwei_backend"
# nginx drops an idle connection to an app process before the app does (uvicorn, Streamlit's
# server, closes it after 5 s): otherwise a request sent on it as uvicorn closes it is reset,
# nginx marks that process failed and the browser moves to another one, losing its session.
UPSTREAM_IDLE_S = 4
MULTIPART_MARGIN_MB = 1  # multipart boundaries and headers around the largest accepted file


class DeployError(SanweiError, ValueError):
    """Options the configuration cannot be generated from."""


def upload_mb() -> int:
    """The largest upload the product accepts, in MB (also `server.maxUploadSize` in .streamlit/config.toml)."""
    return Limits().max_upload_bytes // MiB


def streamlit_inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts in the installed Streamlit's index.html (one tiny
    `window.prerenderReady = false`); found without importing Streamlit. [] if not found."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or not spec.submodule_search_locations:
        return []
    index = Path(next(iter(spec.submodule_search_locations))) / "static" / "index.html"
    if not index.exists():
        return []
    scripts = re.findall(r"<script>(.*?)</script>", index.read_text(encoding="utf-8"), flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def csp() -> str:
    """The Content-Security-Policy: same-origin everything, inline styles (Streamlit needs them),
    data: images and fonts, no framing by anyone."""
    scripts = " ".join(["'self'", *streamlit_inline_script_hashes()])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; "
            "font-src 'self' data:; "
            "connect-src 'self'; "
            "worker-src 'self' blob:; "
            "media-src 'self' blob: data:; "
            "frame-src 'self'; "
            "object-src 'none'; "
            "base-uri 'self'; "
            "form-action 'self'; "
            "frame-ancestors 'none'")


@dataclass(frozen=True)
class Site:
    backends: tuple[str, ...]            # host:port of each app process, e.g. 127.0.0.1:8501
    server_name: str = "sanwei.example.lan"
    listen: str = "443"                  # nginx `listen` address of the TLS server
    cert: str = "/etc/ssl/sanwei/sanwei.crt"
    key: str = "/etc/ssl/sanwei/sanwei.key"
    http_redirect: bool = True           # also answer plain HTTP on :80 with a redirect to HTTPS

    def check(self) -> None:
        if not self.backends:
            raise DeployError("至少需要一个应用进程", "at least one app process is needed")
        for b in self.backends:
            host, _, port = b.rpartition(":")
            if not host or not port.isdigit():
                raise DeployError(f"应用进程地址应为 主机:端口，而不是“{b}”", f"an app process is host:port, not {b!r}")
            if host not in ("127.0.0.1", "localhost", "[::1]"):
                raise DeployError(f"应用进程只应监听本机回环地址：{b}", f"app processes listen on loopback only: {b}")
        if len(set(self.backends)) != len(self.backends):
            raise DeployError("应用进程地址重复", "an app process is listed twice")
        if not re.fullmatch(r"[A-Za-z0-9.\- ]+", self.server_name):
            raise DeployError(f"无效的服务器名称“{self.server_name}”", f"invalid server name {self.server_name!r}")


def _template() -> str:
    return resources.files("scoring").joinpath("data/nginx.conf.in").read_text(encoding="utf-8")


def nginx_site(site: Site) -> str:
    """The http-level configuration of the Sanwei site for `site.backends` app processes."""
    site.check()
    names = [f"b{i + 1}" for i in range(len(site.backends))]
    upstreams = []
    for name, backend in zip(names, site.backends, strict=True):
        others = "".join(f"    server {o} backup;\n" for o in site.backends if o != backend)
        upstreams.append(f"upstream sanwei_{name} {{\n    server {backend} max_fails=1 fail_timeout=10s;\n"
                         f"{others}    keepalive 16;\n    keepalive_timeout {UPSTREAM_IDLE_S}s;\n}}")
    attrs = "Path=/; Secure; HttpOnly; SameSite=Lax"
    redirect = (f"server {{\n    listen 80;\n    server_name {site.server_name};\n    server_tokens off;\n"
                f"    return 301 https://$host$request_uri;\n}}\n") if site.http_redirect else ""
    values = {
        "generated_for": f"{len(site.backends)} app process{'es' if len(site.backends) > 1 else ''}",
        "upstreams": "\n".join(upstreams),
        "upstream_idle": f"{UPSTREAM_IDLE_S}s",
        "pool_servers": "\n".join(f"    server {b} max_fails=1 fail_timeout=10s;" for b in site.backends),
        "route_map": "\n".join(f"    {n} sanwei_{n};" for n in names),
        # the cookie already names the process that answered: send nothing
        "cookie_keep": "\n".join(f'    "~^{n}\\|(.*, )?{re.escape(b)}$" "";' for n, b in zip(names, site.backends, strict=True)),
        "cookie_set": "\n".join(f'    "~\\|(.*, )?{re.escape(b)}$" "{COOKIE}={n}; {attrs}";'
                                for n, b in zip(names, site.backends, strict=True)),
        "http_redirect": redirect,
        "listen": site.listen,
        "server_name": site.server_name,
        "cert": site.cert,
        "key": site.key,
        "upload_mb": str(upload_mb()),
        "body_mb": str(upload_mb() + MULTIPART_MARGIN_MB),
        "csp": csp(),
    }
    text = _template()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise DeployError("模板中有未填写的占位符", f"unfilled placeholder in the template: {text[text.index('{{'):][:40]}")
    return text


def nginx_main(site: Site, prefix: str | Path, worker_processes: int | str = "auto") -> str:
    """A complete nginx.conf running `site` from `prefix` (pid, logs and temp files under it):
    `nginx -c PREFIX/nginx.conf -p PREFIX/`."""
    p = Path(prefix)
    temp = "\n".join(f"    {k}_temp_path {p / 'tmp' / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    body = "\n".join(("    " + line) if line else "" for line in nginx_site(site).splitlines())
    return (f"worker_processes {worker_processes};\npid {p / 'nginx.pid'};\nerror_log {p / 'error.log'} notice;\n\n"
            f"events {{\n    worker_connections 1024;\n}}\n\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    sendfile on;\n    access_log {p / 'access.log'};\n{temp}\n\n{body}\n}}\n")


def prepare_prefix(prefix: str | Path) -> None:
    """The directories `nginx_main` refers to."""
    for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (Path(prefix) / "tmp" / k).mkdir(parents=True, exist_ok=True)
