import subprocess
import sys

from django.urls import reverse


def test_login_page_is_chinese_by_default(client, db):
    body = client.get(reverse("front:login")).content.decode()
    assert "登录消保平台" in body and 'lang="zh-hans"' in body


def test_english_is_switchable(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    body = client.get(reverse("front:login")).content.decode()
    assert 'lang="en"' in body
    assert "Sign in" in body


def test_login_and_logout(client, people):
    from conftest import PASSWORD

    response = client.post(reverse("front:login"), {"username": "handler_a", "password": PASSWORD})
    assert response.status_code == 302
    assert "A支行" in client.get("/").content.decode()
    assert client.post(reverse("front:logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_message(client, people):
    body = client.post(
        reverse("front:login"), {"username": "handler_a", "password": "nope"}
    ).content.decode()
    assert "用户名或密码不正确" in body


def test_security_headers(client, db):
    response = client.get(reverse("front:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_csrf_enforced_on_login(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("front:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_healthz(client, db):
    assert client.get(reverse("front:healthz")).json()["status"] == "ok"


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": "t" * 64 + "-production-like",
        "XIAOBAO_ALLOW_INSECURE_KEY": "0",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "ALLOWED_HOSTS": "xiaobao.example.com",
        "XIAOBAO_PI_KEYS": "k1:" + "A" * 43,
        "XIAOBAO_PI_HMAC_KEY": "B" * 43,
        "XIAOBAO_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_missing_secret_key(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "XIAOBAO_ALLOW_INSECURE_KEY": "0",
        "XIAOBAO_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _manage_check(tmp_path, **env):
    base = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "XIAOBAO_VAR_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        env={**base, **env},
    )


def test_insecure_key_switch_is_off_by_default(tmp_path):
    """With DEBUG=0 and nothing else set the server refuses instead of using the public key."""
    result = _manage_check(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_public_development_key(tmp_path):
    result = _manage_check(
        tmp_path,
        SECRET_KEY="django-insecure-xiaobao-development-key-do-not-use-in-production",
        XIAOBAO_PI_KEYS="k1:" + "A" * 43,
        XIAOBAO_PI_HMAC_KEY="B" * 43,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_missing_personal_data_keys(tmp_path):
    """Personal-data keys are never derived from the web secret in production."""
    result = _manage_check(tmp_path, SECRET_KEY="t" * 64)
    assert result.returncode != 0
    assert "XIAOBAO_PI_KEYS and XIAOBAO_PI_HMAC_KEY must be set" in result.stderr
    only_hmac = _manage_check(tmp_path, SECRET_KEY="t" * 64, XIAOBAO_PI_KEYS="k1:" + "A" * 43)
    assert only_hmac.returncode != 0
    assert "XIAOBAO_PI_HMAC_KEY must be set" in only_hmac.stderr
    complete = _manage_check(
        tmp_path,
        SECRET_KEY="t" * 64,
        XIAOBAO_PI_KEYS="k1:" + "A" * 43,
        XIAOBAO_PI_HMAC_KEY="B" * 43,
    )
    assert complete.returncode == 0, complete.stderr
