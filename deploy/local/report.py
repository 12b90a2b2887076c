"""What the developer reads once the stack is ready, and the line a test parses."""

from __future__ import annotations

import json
from typing import Any

from deploy.local.config import HOST, SERVICES, StackConfig

READY_PREFIX = "MOT_CUA_READY "


def ready_info(cfg: StackConfig, database_url: str, kafka_bootstrap_servers: str) -> dict[str, Any]:
    smtp_host = cfg.smtp_host or HOST
    return {
        "services": {name: cfg.url(name) for name in SERVICES},
        "ports": dict(cfg.ports),
        "database_url": database_url,
        "kafka_bootstrap_servers": kafka_bootstrap_servers,
        "smtp": {"host": smtp_host, "port": cfg.ports["smtp"],
                 "maildir": None if cfg.smtp_host else str(cfg.mail_dir)},
        "sandbox_url": cfg.url("sandbox"),
        "console_url": f"{cfg.url('processing')}/console",
        "citizen_url": f"{cfg.url('intake')}/citizen",
        "dashboard_url": f"{cfg.url('reporting')}/",
        "data_dir": str(cfg.data_dir),
        "log_dir": str(cfg.log_dir),
    }


def ready_text(info: dict[str, Any]) -> str:
    smtp = info["smtp"]
    lines = ["", "Một Cửa is running:"]
    lines += [f"  {name:<14} {url:<24} API docs {url}/docs"
              for name, url in info["services"].items()]
    lines += [
        f"  {'Kafka':<14} {info['kafka_bootstrap_servers']}",
        f"  {'PostgreSQL':<14} {info['database_url']}",
        f"  {'SMTP':<14} {smtp['host']}:{smtp['port']}"
        + (f"   messages saved in {smtp['maildir']}" if smtp["maildir"] else "   (external)"),
        f"  {'Sandbox':<14} {info['sandbox_url']}   (payment, carrier and SMS gateways)",
        f"  {'Console':<14} {info['console_url']}   (officers: e.g. tp.specialist, "
        "password dev-password)",
        f"  {'Citizens':<14} {info['citizen_url']}   (track, pay, supplement, withdraw, rate)",
        f"  {'Dashboard':<14} {info['dashboard_url']}   (the 766 indicators, what-if)",
        f"  {'Logs':<14} {info['log_dir']}",
        "",
        READY_PREFIX + json.dumps(info, ensure_ascii=False),
        "Ready. Ctrl-C stops everything.",
    ]
    return "\n".join(lines)
