"""deploy/kubernetes as an operator reads it before `kubectl apply -k`: rendered (tests/deploy/
kustomize.py, and by kubectl's own kustomize where there is one), every object validated against
pinned Kubernetes versions' schemas (kubernetes-validate, strict: an unknown field fails), then
checked for what running the platform needs of it."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.core.management import get_commands

from tests.deploy.kustomize import containers, pod_spec, render

FOLDER = Path(__file__).resolve().parent.parent.parent / "deploy" / "kubernetes"
# The oldest Kubernetes these manifests are written for (gRPC probes and autoscaling/v2 are GA
# there) and a recent one.
KUBERNETES_VERSIONS = ("1.29.0", "1.35.0")
DEPLOYMENTS = {"web", "worker", "beat", "grpc"}


@pytest.fixture(scope="module")
def documents() -> list[dict[str, Any]]:
    return render(FOLDER)


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_the_pinned_kubernetes_versions(documents, version: str) -> None:
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_the_kustomization_lists_every_manifest_in_the_folder() -> None:
    listed = set(yaml.safe_load((FOLDER / "kustomization.yaml").read_text())["resources"])
    assert listed == {path.name for path in FOLDER.glob("*.yaml")} - {"kustomization.yaml"}


def test_kubectls_own_kustomize_renders_the_same_objects(documents) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("no kubectl here: tests/deploy/kustomize.py's rendering is the one checked")
    rendered = subprocess.run([kubectl, "kustomize", str(FOLDER)], capture_output=True, text=True, timeout=60, check=True)
    theirs = [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]
    key = lambda doc: (doc["kind"], doc["metadata"]["name"])  # noqa: E731
    assert sorted(theirs, key=key) == sorted(documents, key=key)


def test_web_workers_beats_and_grpc_run_as_deployments_with_two_beats(documents) -> None:
    deployments = of_kind(documents, "Deployment")
    assert set(deployments) == DEPLOYMENTS
    assert deployments["beat"]["spec"]["replicas"] == 2


def test_every_long_running_container_has_probes_and_every_container_resources(documents) -> None:
    for name, deployment in of_kind(documents, "Deployment").items():
        for container in pod_spec(deployment)["containers"]:
            assert container.get("readinessProbe") and container.get("livenessProbe"), name
    for document in documents:
        for container in containers(document):
            assert set(container["resources"]) == {"requests", "limits"}, document["metadata"]["name"]


def test_exec_probes_and_commands_name_management_commands_that_exist(documents) -> None:
    commands = get_commands()
    for document in documents:
        for container in containers(document):
            for line in _command_lines(container):
                if "manage.py" in line:
                    assert line[line.index("manage.py") + 1] in commands, (document["metadata"]["name"], line)


def test_a_migrate_job_migrates_and_bootstraps_the_admin(documents) -> None:
    command = " ".join(pod_spec(of_kind(documents, "Job")["migrate"])["containers"][0]["command"])
    assert "manage.py migrate" in command and "manage.py bootstrap_admin" in command


def test_every_deployment_has_a_disruption_budget_and_workers_an_autoscaler(documents) -> None:
    budgets = of_kind(documents, "PodDisruptionBudget").values()
    for name, deployment in of_kind(documents, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(_selects(budget["spec"]["selector"]["matchLabels"], labels) for budget in budgets), name
    autoscalers = of_kind(documents, "HorizontalPodAutoscaler")
    assert [hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()] == ["worker"]
    assert "replicas" not in of_kind(documents, "Deployment")["worker"]["spec"], "apply would reset the autoscaler's count"


def test_services_reach_a_named_port_of_the_pods_they_select(documents) -> None:
    deployments = of_kind(documents, "Deployment").values()
    for name, service in of_kind(documents, "Service").items():
        chosen = [d for d in deployments if _selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(chosen) == 1, name
        ports = {port["name"] for container in pod_spec(chosen[0])["containers"] for port in container.get("ports", [])}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= ports, name


def test_pods_read_only_the_configmap_and_secret_that_exist_and_the_secret_holds_placeholders(documents) -> None:
    maps, secrets = of_kind(documents, "ConfigMap"), of_kind(documents, "Secret")
    for document in documents:
        for container in containers(document):
            for source in container.get("envFrom", []):
                reference = source.get("configMapRef") or source.get("secretRef")
                assert reference["name"] in (maps if "configMapRef" in source else secrets)
    values = next(iter(secrets.values()))["stringData"]
    assert all("CHANGE-ME" in value for name, value in values.items() if name != "ADMIN_USERNAME")


def test_pods_run_as_the_images_unprivileged_user(documents) -> None:
    users = Counter(pod_spec(doc)["securityContext"]["runAsUser"] for doc in documents if pod_spec(doc))
    assert set(users) == {10001}
    assert "USER 10001" in (FOLDER.parent.parent / "Dockerfile").read_text()


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return selector.items() <= labels.items()


def _command_lines(container: dict[str, Any]) -> list[list[str]]:
    lines = [container.get("command", [])]
    for probe in ("readinessProbe", "livenessProbe"):
        lines.append(container.get(probe, {}).get("exec", {}).get("command", []))
    return lines


@pytest.mark.django_db
def test_the_web_probes_page_answers_without_the_database(documents, client, django_assert_num_queries) -> None:
    """So a database failover marks no web pod unready and restarts none (decision 1302)."""
    web = pod_spec(of_kind(documents, "Deployment")["web"])["containers"][0]
    for probe in (web["readinessProbe"]["httpGet"], web["livenessProbe"]["httpGet"]):
        host = {header["name"]: header["value"] for header in probe["httpHeaders"]}["Host"]
        with django_assert_num_queries(0):
            assert client.get(probe["path"], HTTP_HOST=host).status_code == 200
