"""Scale mode's launcher: the plan from the environment and an nginx configuration nginx accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.errors import DeskpilotError
from app.scale_mode import DEFAULT_DATABASE_URL, make_plan, render_nginx


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing: `make nginx` installs it (make test does)")
        pytest.skip("nginx is not installed here (`make nginx`)")
    return found


def test_plan_takes_services_from_the_environment(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://u@db:5432/x", "REDIS_URL": "redis://r:6379/1"}
    plan = make_plan(tmp_path, apps=3, port=9000, env=env)
    assert plan.database_url == env["DATABASE_URL"] and plan.redis_url == env["REDIS_URL"]
    assert len(set(plan.app_ports)) == 3 and plan.port not in plan.app_ports
    assert plan.chroma_port not in (plan.port, *plan.app_ports)
    service = plan.service_env()
    assert service["CHROMA_URL"] == plan.chroma_url and service["REDIS_URL"] == env["REDIS_URL"]
    assert make_plan(tmp_path, apps=1, port=9000, env={}).database_url == DEFAULT_DATABASE_URL
    with pytest.raises(DeskpilotError):
        make_plan(tmp_path, apps=0, port=9000, env={})


def test_rendered_nginx_config_is_valid_sticky_and_strips_the_auth_header(tmp_path: Path) -> None:
    nginx = _nginx()
    plan = make_plan(tmp_path, apps=2, port=18080, env={})
    plan.run_dir.mkdir(parents=True)
    text = render_nginx(plan)
    for port in plan.app_ports:
        assert f"server 127.0.0.1:{port}" in text
    assert "hash $deskpilot_node consistent" in text
    assert 'proxy_set_header X-Forwarded-User ""' in text
    conf = plan.run_dir / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    checked = subprocess.run(
        [nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
