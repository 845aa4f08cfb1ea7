"""Production infrastructure (infra/compose.yaml, infra/env.example, infra/k8s/) against the settings.

Nothing here runs Docker or Kubernetes: the files are parsed and checked for what a wrong edit
would break silently (a service name, a port, a variable name, a secret written inline).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from flows.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
COMPOSE = INFRA / "compose.yaml"
ENV_EXAMPLE = INFRA / "env.example"
K8S = INFRA / "k8s"

SERVICES = {
    "minio", "minio-setup", "postgres", "labelstudio", "mlflow", "prefect-server",
    "worker-gpu", "worker-cpu", "api", "webhook-receiver",
}
ONE_SHOT = {"minio-setup"}
# the port each service listens on inside the compose network (its well-known port)
SERVICE_PORTS = {
    "minio": {9000, 9001},
    "postgres": {5432},
    "labelstudio": {8080},
    "mlflow": {5000},
    "prefect-server": {4200},
    "api": {8700},
    "webhook-receiver": {8765},
}
SECRET_WORDS = ("PASSWORD", "SECRET", "KEY", "TOKEN", "AUTH")
REQUIRED_REF = re.compile(r"^\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}$")
REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?[-?])[^}]*)?\}")
MASKLOOP_NAME = re.compile(r"\bMASKLOOP_[A-Z0-9_]*[A-Z0-9]\b")
FIELDS = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def env_example() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"env.example line without '=': {line!r}"
            out[key.strip()] = value.strip()
    return out


def is_secret_name(name: str) -> bool:
    """PASSWORD/SECRET/KEY/TOKEN/AUTH in the name, except on/off flags (..._ENABLE_LEGACY_API_TOKEN)."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS) and "ENABLE" not in upper


def compose_code() -> str:
    """compose.yaml without its comment lines (comments may show ${VAR:?} as an example)."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def k8s_documents() -> dict[str, list[dict]]:
    docs: dict[str, list[dict]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        docs[path.name] = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def k8s_kind(kind: str) -> list[dict]:
    return [d for docs in k8s_documents().values() for d in docs if d.get("kind") == kind]


def deployment(name: str) -> dict:
    found = [d for d in k8s_kind("Deployment") if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one Deployment {name}, found {len(found)}"
    return found[0]


def host_port(target: str) -> tuple[str, int]:
    """'minio:9000' or 'http://mlflow:5000/x' -> (host, port)."""
    target = REFERENCE.sub("x", target)  # ${VAR:?message} -> x, so messages cannot confuse the parser
    parts = urlsplit(target if "://" in target else f"//{target}")
    assert parts.hostname and parts.port, f"no host:port in {target!r}"
    return parts.hostname, parts.port


# --- compose: services, ports ----------------------------------------------------------------------

def test_compose_has_exactly_the_production_services(services: dict) -> None:
    assert set(services) == SERVICES


def test_every_published_port_binds_loopback_on_the_service_port(services: dict) -> None:
    published = 0
    for name, service in services.items():
        for entry in service.get("ports") or []:
            if isinstance(entry, dict):
                ip, host, container = entry.get("host_ip"), entry.get("published"), entry["target"]
            else:
                parts = str(entry).split(":")
                assert len(parts) == 3, f"{name}: port {entry!r} must be HOST_IP:HOST:CONTAINER"
                ip, host, container = parts
            assert ip == "127.0.0.1", f"{name}: port {entry!r} is not bound to 127.0.0.1"
            assert int(container) in SERVICE_PORTS.get(name, set()), (
                f"{name}: container port {container} is not the service's port {SERVICE_PORTS.get(name)}"
            )
            assert int(host) == int(container), f"{name}: publish {container} on the same host port"
            published += 1
    assert published >= 6
    for name in ("worker-gpu", "worker-cpu", "minio-setup", "webhook-receiver"):
        assert not services[name].get("ports"), f"{name} must not publish ports"


def test_services_listen_on_the_ports_the_others_use(services: dict) -> None:
    """Every service URL in the workers' environment names a service and its port."""
    worker = env_of(services["worker-gpu"])
    targets = {
        "MASKLOOP_DATABASE_URL": "postgres",
        "MASKLOOP_S3_ENDPOINT": "minio",
        "MASKLOOP_LABEL_STUDIO_URL": "labelstudio",
        "MASKLOOP_MLFLOW_TRACKING_URI": "mlflow",
        "MLFLOW_TRACKING_URI": "mlflow",
        "MASKLOOP_PREFECT_API_URL": "prefect-server",
        "PREFECT_API_URL": "prefect-server",
        "MASKLOOP_WEBHOOK_URL": "webhook-receiver",
    }
    for var, service in targets.items():
        host, port = host_port(worker[var])
        assert host == service, f"{var} points at {host}, expected the {service} service"
        assert port in SERVICE_PORTS[service], f"{var} uses port {port}, {service} listens on {SERVICE_PORTS[service]}"
    mlflow = env_of(services["mlflow"])
    assert host_port(mlflow["MLFLOW_S3_ENDPOINT_URL"]) == ("minio", 9000)
    assert host_port(mlflow["MLFLOW_BACKEND_STORE_URI"]) == ("postgres", 5432)
    prefect = env_of(services["prefect-server"])
    db_url = prefect["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    assert db_url.startswith("postgresql+asyncpg://") and host_port(db_url) == ("postgres", 5432)
    assert "4200" in services["prefect-server"]["command"]
    assert "5000" in services["mlflow"]["command"]


def test_buckets_match_the_settings_defaults(services: dict) -> None:
    bucket_default = Settings.model_fields["s3_bucket"].default  # the model's, whatever the env says
    worm_default = Settings.model_fields["s3_worm_bucket"].default
    worker = env_of(services["worker-cpu"])
    assert worker["MASKLOOP_S3_BUCKET"] == bucket_default
    assert worker["MASKLOOP_S3_WORM_BUCKET"] == worm_default
    setup = "\n".join(services["minio-setup"]["command"])
    for bucket in (bucket_default, worm_default, "mlflow"):
        assert f'"{bucket}"' in setup, f"minio-setup does not create bucket {bucket}"
    assert "s3://mlflow/" in " ".join(services["mlflow"]["command"])


def test_api_reads_the_catalog_as_the_auditor_role(services: dict) -> None:
    env = env_of(services["api"])
    assert set(env) == {"MASKLOOP_HOME", "MASKLOOP_AUDITOR_DATABASE_URL"}, "the API gets no writer URL"
    url = env["MASKLOOP_AUDITOR_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://maskloop_auditor:")
    assert host_port(url) == ("postgres", 5432) and url.endswith("/maskloop")
    command = services["api"]["command"]
    assert command[:3] == ["maskloop", "api", "serve"] and command[command.index("--port") + 1] == "8700"


def test_label_studio_runs_on_postgresql_without_self_registration(services: dict) -> None:
    env = env_of(services["labelstudio"])
    assert env["DJANGO_DB"] == "default"
    assert env["POSTGRE_HOST"] == "postgres" and env["POSTGRE_PORT"] == "5432"
    assert {"POSTGRE_NAME", "POSTGRE_USER", "POSTGRE_PASSWORD"} <= set(env)
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert services["labelstudio"]["image"].endswith(":1.23.2")


# --- compose: variables and secrets ----------------------------------------------------------------

def test_every_maskloop_variable_is_a_settings_field(services: dict) -> None:
    used: set[str] = set()
    for service in services.values():
        used |= {k for k in env_of(service) if k.startswith(ENV_PREFIX)}
    used |= set(MASKLOOP_NAME.findall(compose_code()))
    used |= {k for k in env_example() if k.startswith(ENV_PREFIX)}
    for docs in k8s_documents().values():
        for doc in docs:
            if doc.get("kind") in ("ConfigMap", "Secret"):
                used |= {k for k in {**doc.get("data", {}), **doc.get("stringData", {})} if k.startswith(ENV_PREFIX)}
    assert len(used) >= 10
    unknown = sorted(used - FIELDS)
    assert not unknown, f"not Settings fields (MASKLOOP_FOO must be field foo): {unknown}"


def test_no_secret_is_written_inline(services: dict) -> None:
    checked = 0
    for name, service in services.items():
        for key, value in env_of(service).items():
            if is_secret_name(key):
                assert REQUIRED_REF.match(value), (
                    f"{name}: {key} must be a required reference like ${{VAR:?msg}}, not {value!r}"
                )
                checked += 1
            if "://" in value and "@" in value:  # a URL with credentials: the password is a reference
                userinfo = value.split("://", 1)[1].rsplit("@", 1)[0]
                user, sep, password = userinfo.partition(":")
                if user.startswith("${"):  # the user is a reference too: split after its closing brace
                    end = userinfo.index("}") + 1
                    user, sep, password = userinfo[:end], userinfo[end:end + 1], userinfo[end + 1:]
                assert sep == ":" and REQUIRED_REF.match(password), (
                    f"{name}: {key} must take its password from a required reference, not {value!r}"
                )
                checked += 1
    assert checked >= 10


def test_no_env_file_other_than_the_ignored_dotenv(services: dict) -> None:
    for name, service in services.items():
        env_files = service.get("env_file") or []
        env_files = [env_files] if isinstance(env_files, str) else env_files
        for item in env_files:
            path = item["path"] if isinstance(item, dict) else item
            assert path == ".env", f"{name}: env_file {path!r} (secrets belong in infra/.env)"


def test_env_example_lists_every_interpolated_variable_and_no_values_for_secrets() -> None:
    text = compose_code()
    referenced = {m.group(1) for m in REFERENCE.finditer(text)}
    example = env_example()
    assert referenced - set(example) == set(), f"missing in env.example: {sorted(referenced - set(example))}"
    assert set(example) - referenced == set(), f"unused in compose.yaml: {sorted(set(example) - referenced)}"
    for key, value in example.items():
        if is_secret_name(key):
            assert value == "", f"env.example must not carry a value for {key}"
    required = {m.group(1) for m in REFERENCE.finditer(text) if m.group(2) == ":?"}
    secrets = {k for k in referenced if is_secret_name(k)}
    assert secrets <= required, f"secrets with a default: {sorted(secrets - required)}"


def test_images_are_pinned_and_workers_use_the_maskloop_image(services: dict) -> None:
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image tag ({image})"
    for name in ("worker-gpu", "worker-cpu", "mlflow", "prefect-server", "minio-setup", "api"):
        assert services[name]["build"]["dockerfile"] == "infra/Dockerfile"
    dockerfile = (INFRA / "Dockerfile").read_text(encoding="utf-8")
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert froms == ["FROM python:3.11-slim"]
    assert "USER maskloop" in dockerfile


# --- compose: GPU, pools, healthchecks, volumes ----------------------------------------------------

def test_gpu_worker_reserves_an_nvidia_gpu_and_serves_pool_gpu(services: dict) -> None:
    gpu = services["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    command = gpu["command"]
    assert command[command.index("--pool") + 1] == "gpu"
    assert command[command.index("--type") + 1] == "process"
    assert env_of(gpu)["MASKLOOP_DEVICE"] == "cuda"
    assert float(env_of(gpu)["PREFECT_WORKER_QUERY_SECONDS"]) <= 2  # a round's runs start promptly
    cpu = services["worker-cpu"]
    assert cpu["command"][cpu["command"].index("--pool") + 1] == "cpu"
    assert "deploy" not in cpu


def test_every_long_running_service_has_a_healthcheck(services: dict) -> None:
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no"
            continue
        check = service.get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
        assert not check.get("disable")


def test_state_lives_in_named_volumes(compose: dict, services: dict) -> None:
    declared = set(compose["volumes"])
    for name in ("minio", "postgres", "labelstudio"):
        mounts = [str(v).split(":", 1)[0] for v in services[name].get("volumes", [])]
        assert mounts and all(m in declared for m in mounts), f"{name}: state not on a named volume"
    assert "postgres-init" in compose["configs"]
    init = compose["configs"]["postgres-init"]["content"]
    for db in ("labelstudio", "mlflow", "prefect"):
        assert f"CREATE DATABASE {db};" in init


# --- Kubernetes ------------------------------------------------------------------------------------

def test_k8s_manifests_parse_and_kustomization_lists_them() -> None:
    docs = k8s_documents()
    assert "kustomization.yaml" in docs
    kustomization = docs["kustomization.yaml"][0]
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), f"kustomization lists a missing file {resource}"
        assert docs[resource], f"{resource} is empty"
    assert "secret.template.yaml" not in kustomization["resources"]
    kinds = {d["kind"] for name, ds in docs.items() for d in ds}
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Kustomization"} <= kinds


def test_k8s_secret_template_holds_no_values_and_configmap_no_secrets() -> None:
    (secret,) = k8s_kind("Secret")
    assert secret["stringData"] and all(v == "" for v in secret["stringData"].values())
    assert "data" not in secret
    (config,) = k8s_kind("ConfigMap")
    leaked = [k for k in config["data"] if is_secret_name(k) or k.endswith("DATABASE_URL")]
    assert not leaked, f"secrets in the ConfigMap: {leaked}"


@pytest.mark.parametrize("name,pool", [("maskloop-worker-gpu", "gpu"), ("maskloop-worker-cpu", "cpu")])
def test_k8s_worker_deployments(name: str, pool: str) -> None:
    spec = deployment(name)["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    command = container["command"]
    assert command[:3] == ["prefect", "worker", "start"]
    assert command[command.index("--pool") + 1] == pool
    assert "--with-healthcheck" in command
    sources = {(k, v["name"]) for ref in container["envFrom"] for k, v in ref.items()}
    (config,) = k8s_kind("ConfigMap")
    (secret,) = k8s_kind("Secret")
    assert sources == {("configMapRef", config["metadata"]["name"]), ("secretRef", secret["metadata"]["name"])}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    assert spec["securityContext"]["runAsNonRoot"] is True
    gpu_limit = container["resources"].get("limits", {}).get("nvidia.com/gpu")
    if pool == "gpu":
        assert int(gpu_limit) == 1
        assert spec["nodeSelector"] and any(t["key"] == "nvidia.com/gpu" for t in spec["tolerations"])
        assert {"name": "MASKLOOP_DEVICE", "value": "cuda"} in container["env"]
        assert {"name": "PREFECT_WORKER_QUERY_SECONDS", "value": "2"} in container["env"]
    else:
        assert gpu_limit is None


def test_k8s_namespace_is_consistent() -> None:
    (namespace,) = k8s_kind("Namespace")
    ns = namespace["metadata"]["name"]
    for docs in k8s_documents().values():
        for doc in docs:
            if doc["kind"] == "Kustomization":
                assert doc["namespace"] == ns
            elif doc["kind"] != "Namespace":
                assert doc["metadata"]["namespace"] == ns, doc["metadata"]["name"]


def test_inline_python_of_compose_compiles(services: dict) -> None:
    """minio-setup's script and the python healthchecks are at least valid Python."""
    snippets = []
    for name, service in services.items():
        for argv in (service.get("command"), (service.get("healthcheck") or {}).get("test")):
            if isinstance(argv, list) and argv and argv[0] == "CMD":
                argv = argv[1:]
            if isinstance(argv, list) and "-c" in argv and str(argv[0]).startswith("python"):
                snippets.append((name, argv[argv.index("-c") + 1]))
    assert len(snippets) >= 6
    for name, code in snippets:
        compile(code, f"<compose {name}>", "exec")
    setup = dict(snippets)["minio-setup"]
    for call in ("make_bucket(", "object_lock=", "user_add(", "policy_add(", "attach_policy("):
        assert call in setup


def test_label_studio_may_post_webhooks_to_the_compose_network_only(compose: dict, services: dict) -> None:
    """SSRF protection stays on; the block list is the stack's minus exactly the compose subnet."""
    import ipaddress

    from flows.stack.label_studio import BANNED_SUBNETS_BUT_LOOPBACK

    env = env_of(services["labelstudio"])
    assert env["SSRF_PROTECTION_ENABLED"] == "true" and env["USE_DEFAULT_BANNED_SUBNETS"] == "false"
    subnet = ipaddress.ip_network(compose["networks"]["default"]["ipam"]["config"][0]["subnet"])
    banned = [ipaddress.ip_network(s) for s in env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")]
    assert not any(n.overlaps(subnet) for n in banned)
    for probe in ("10.1.2.3", "169.254.169.254", "172.17.0.1", "172.30.90.1", "192.168.1.1", "fe80::1"):
        assert any(ipaddress.ip_address(probe) in n for n in banned), probe
    stack = {ipaddress.ip_network(s) for s in BANNED_SUBNETS_BUT_LOOPBACK}
    for n in stack:  # everything the stack bans is still banned, except the compose subnet
        rest = list(n.address_exclude(subnet)) if n.version == 4 and subnet.subnet_of(n) else [n]
        assert all(any(r.subnet_of(b) for b in banned if b.version == r.version) for r in rest), n
    assert env_of(services["worker-gpu"])["MASKLOOP_WEBHOOK_URL"].endswith("/webhooks/label-studio")
