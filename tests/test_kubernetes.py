"""The Kubernetes manifests: valid against the Kubernetes schemas (offline), and the policies we promise."""

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from digits.settings import ServiceSettings
from tests.conftest import ROOT

MANIFESTS = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
"""The oldest Kubernetes the manifests must work on (the preStop ``sleep`` action needs 1.30)."""
SHUTDOWN_SECONDS = 10
"""The service's graceful shutdown (``timeout_graceful_shutdown`` in ``digits/cli.py``)."""


def documents() -> list[tuple[Path, dict]]:
    kustomization = yaml.safe_load((MANIFESTS / "kustomization.yaml").read_text())
    found = []
    for name in kustomization["resources"]:
        for document in yaml.safe_load_all((MANIFESTS / name).read_text()):
            found.append((MANIFESTS / name, document))
    return found


def by_kind(kind: str) -> dict:
    (document,) = [document for _, document in documents() if document["kind"] == kind]
    return document


@pytest.mark.parametrize("version", [KUBERNETES_VERSION, kubernetes_validate.latest_version()])
def test_every_manifest_is_valid_against_the_kubernetes_schemas(version):
    kinds = []
    for path, document in documents():
        try:
            kubernetes_validate.validate(document, version, strict=True)  # strict: unknown fields are errors
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name}: {document['kind']}: {error.message} at {'.'.join(map(str, error.path))}")
        kinds.append(document["kind"])
    assert sorted(kinds) == [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
    ]


def test_a_broken_manifest_is_caught():
    deployment = by_kind("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pat"] = "/health"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_pod_runs_locked_down():
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"] and security["privileged"] is False
    assert {"requests", "limits"} <= set(container["resources"])


def test_probes_shutdown_and_settings_match_the_service():
    deployment = by_kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + SHUTDOWN_SECONDS
    # Every DIGITS_* variable set is a real setting of the service, with a value it accepts.
    settings = {
        variable["name"].removeprefix("DIGITS_").lower(): variable["value"]
        for variable in container["env"]
        if variable["name"].startswith("DIGITS_")
    }
    assert set(settings) <= set(ServiceSettings.model_fields)
    assert ServiceSettings(**settings).port == container["ports"][0]["containerPort"]
    service = by_kind("Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert by_kind("PodDisruptionBudget")["spec"]["selector"] == deployment["spec"]["selector"]
    assert by_kind("HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2


def test_everything_is_in_its_own_restricted_namespace_and_the_pods_talk_only_http():
    namespace = by_kind("Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for path, document in documents():
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == namespace["metadata"]["name"], path.name
    policy = by_kind("NetworkPolicy")["spec"]
    deployment = by_kind("Deployment")
    assert policy["podSelector"] == deployment["spec"]["selector"]
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"] and policy["egress"] == []
    (rule,) = policy["ingress"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [port["port"] for port in rule["ports"]] == [port["name"] for port in container["ports"]]
