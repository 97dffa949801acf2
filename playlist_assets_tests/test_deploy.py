"""deploy/, checked without Docker (images cannot be pulled here): the compose file, the image and the instance
they assemble fit together, expose nothing but the webserver on 127.0.0.1, and hold no secret.
The commands themselves run for real in test_topology.py."""

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import ConfigurableClassData
from dagster_docker import DockerRunLauncher

from playlist_assets_tests.postgres import postgres_storage
from playlist_assets_tests.test_topology import image_command

PROJECT = Path(__file__).resolve().parents[1]
DEPLOY = PROJECT / "deploy"
DAGSTER_SERVICES = ("code_server", "webserver", "daemon")
SECRETS = ("DAGSTER_PG_PASSWORD", "SPOTIPY_CLIENT_SECRET")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def launcher(tmp_path_factory, dockerfile) -> DockerRunLauncher:
    """The run launcher of the instance the image assembles (its RUN cat ... line), validated by Dagster."""
    [parts] = re.findall(r"cat ((?:[\w./]+ )+)>\"\$DAGSTER_HOME/dagster.yaml\"", dockerfile)
    home = tmp_path_factory.mktemp("image_home")
    (home / "dagster.yaml").write_text("".join((PROJECT / part).read_text() for part in parts.split()))
    config, _ = dagster_instance_config(str(home))
    assert set(config["storage"]) == {"postgres"}
    settings = config["run_launcher"]
    data = ConfigurableClassData(settings["module"], settings["class"], yaml.safe_dump(settings["config"]))
    return data.rehydrate(DockerRunLauncher)


def referenced_variables(text: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+)", text))


def instance_variables() -> set[str]:
    """The variables the instance settings and the gRPC workspace read."""
    text = (DEPLOY / "dagster.postgres.yaml").read_text() + (DEPLOY / "workspace.grpc.yaml").read_text()
    return set(re.findall(r"env: (\w+)", text))


def test_every_service_volume_and_network_referenced_exists(compose):
    services = compose["services"]
    assert set(services) == {"postgresql", *DAGSTER_SERVICES}
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        assert set(service["networks"]) <= set(compose["networks"]), name
        named = {volume.split(":")[0] for volume in service.get("volumes", []) if not volume.startswith("/")}
        assert named <= set(compose["volumes"]), name
    image = services["code_server"]["image"]
    assert (PROJECT / services["code_server"]["build"]["dockerfile"]).is_file()
    assert (DEPLOY / services["code_server"]["build"]["context"]).resolve() == PROJECT
    assert services["webserver"]["image"] == services["daemon"]["image"] == image
    assert services["code_server"]["environment"]["DAGSTER_CURRENT_IMAGE"] == image


def test_every_variable_referenced_is_documented_and_set_where_it_is_read(compose, launcher):
    text = (DEPLOY / "docker-compose.yml").read_text()
    example = (DEPLOY / "env.example").read_text()
    documented = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert referenced_variables(text) <= documented
    services = compose["services"]
    for name in DAGSTER_SERVICES:
        assert instance_variables() <= set(services[name]["environment"]), name
    assert set(launcher.env_vars) <= set(services["daemon"]["environment"])  # the launcher copies them from the daemon
    assert set(launcher.env_vars) >= instance_variables() - {"DAGSTER_CODE_SERVER_HOST", "DAGSTER_CODE_SERVER_PORT"}


def test_each_run_gets_the_code_servers_network_and_files(compose, launcher, dockerfile):
    code_server = compose["services"]["code_server"]
    assert launcher.networks == [compose["networks"]["playlist_assets"]["name"]]
    assert sorted(launcher.container_kwargs["volumes"]) == sorted(code_server["volumes"])
    for volume in launcher.container_kwargs["volumes"]:
        assert compose["volumes"][volume.split(":")[0]]["name"] == volume.split(":")[0]  # no project prefix
    home = re.search(r"DAGSTER_HOME=(\S+)", dockerfile).group(1)
    mounts = {volume.split(":")[1] for volume in code_server["volumes"]}
    # the IO manager keeps its pickles in the instance's storage folder; pages, caches and the token beside it
    assert {f"{home}/storage", *re.findall(r"(?:OUTPUT|XDG_\w+)=(\S+)", dockerfile)} <= mounts


def test_only_the_webserver_is_published_and_only_on_this_host(compose):
    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published.pop("webserver") == ["127.0.0.1:3000:3000"]
    assert all(ports == [] for ports in published.values())


def test_no_secret_is_in_the_image_or_the_shipped_files(compose, dockerfile):
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            if key in SECRETS or key == "POSTGRES_PASSWORD":
                assert re.fullmatch(r"\$\{\w+:[-?][^}]*\}", value), f"{name}: {key} must come from the environment"
    example = (DEPLOY / "env.example").read_text()
    assert all(re.search(rf"^{secret}=$", example, flags=re.MULTILINE) for secret in SECRETS)
    assert not re.search(r"^(ENV|ARG)\b.*(PASSWORD|SECRET|TOKEN)", dockerfile, flags=re.MULTILINE)
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert {"deploy/.env", ".dagster_home", ".venv"} <= set(ignored)


def test_the_image_installs_the_lock_file_and_serves_the_code_location(dockerfile):
    assert "pip install --no-cache-dir -c requirements.lock '.[docker]'" in dockerfile
    for line in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        assert all((PROJECT / source).exists() for source in line.split()), line
    module = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert image_command() == ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", module]


def test_run_sh_adds_postgres_storage_when_dagster_pg_host_is_set_and_keeps_a_users_own_settings(tmp_path):
    def settings_after_run_sh(**variables) -> str:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_PG_")}, "DAGSTER_HOME": str(tmp_path), **variables}
        subprocess.run(["./run.sh", "true"], cwd=PROJECT, env=env, check=True, capture_output=True)
        return (tmp_path / "dagster.yaml").read_text()

    password = "not-in-any-file-4417"
    written = settings_after_run_sh(DAGSTER_PG_HOST="db.example.org", DAGSTER_PG_PASSWORD=password)
    assert yaml.safe_load(written)["storage"] == postgres_storage()["storage"] and password not in written
    sqlite = yaml.safe_load(settings_after_run_sh())["storage"]  # SQLite again, without the variable
    assert sqlite["custom"]["class"] == "BatchingSqliteStorage"
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    assert settings_after_run_sh(DAGSTER_PG_HOST="db.example.org") == "telemetry:\n  enabled: true\n"
