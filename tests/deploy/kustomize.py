"""The part of kustomize that deploy/kubernetes uses, so the manifests are checked as they will be
applied on a machine without kustomize: the resources listed, the namespace set on the
namespaced ones, and the image names replaced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images"}


def render(folder: Path) -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        raise ValueError(f"kustomization fields this renderer does not apply: {sorted(unsupported)}")
    documents = [doc for name in kustomization["resources"] for doc in yaml.safe_load_all((folder / name).read_text()) if doc]
    for document in documents:
        _set_namespace(document, kustomization.get("namespace"))
        _set_images(document, kustomization.get("images", []))
    return documents


def _set_namespace(document: dict[str, Any], namespace: str | None) -> None:
    if namespace and document["kind"] not in CLUSTER_SCOPED:
        document["metadata"]["namespace"] = namespace


def _set_images(document: dict[str, Any], images: list[dict[str, str]]) -> None:
    for container in containers(document):
        for image in images:
            if container["image"] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"


def pod_spec(document: dict[str, Any]) -> dict[str, Any] | None:
    template = document.get("spec", {}).get("template")
    return template["spec"] if template else None


def containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(document) or {}
    return [*spec.get("initContainers", []), *spec.get("containers", [])]
