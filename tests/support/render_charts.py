"""Chart archives that exercise Helm's rendering: every workload kind, hooks, a CR, enabled and
disabled subcharts, Capabilities, image annotations and an Images.lock; and hostile ones."""

from __future__ import annotations

from pathlib import Path

from tests.support.charts import chart_archive

REAL_CHARTS = Path(__file__).resolve().parents[1] / "fixtures" / "charts"
LONGHORN = "longhorn-104.2.0+up1.7.1.tgz"
EPINIO = "epinio-103.0.2+up1.10.0.tgz"

KINDS_VALUES = """\
image:
  registry: quay.io
  repository: acme/web
  tag: "1.10"
sidecar:
  image: busybox:1.36
operator:
  image:
    repository: acme/operator-agent
    tag: v2.0.0
sub:
  enabled: true
extra:
  enabled: false
"""

_TEMPLATES = {
    "_helpers.tpl": '{{- define "kinds.name" -}}{{ .Release.Name }}-kinds{{- end }}\n',
    "NOTES.txt": "Installed {{ .Release.Name }}.\n",
    "deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "kinds.name" . }}
  namespace: {{ .Release.Namespace }}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: "{{ .Values.sidecar.image }}"
      containers:
        - name: web
          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          args: ["--agent-image", "{{ .Values.operator.image.repository }}:{{ .Values.operator.image.tag }}"]
          env:
            - name: HELPER_IMAGE
              value: registry.k8s.io/pause:3.9
            - name: LOG_LEVEL
              value: info
""",
    "workloads.yaml": """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ .Release.Name }}-nightly
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: nightly
              image: alpine
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-debug
spec:
  containers:
    - name: main
      image: ghcr.io/acme/tool@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  ephemeralContainers:
    - name: debugger
      image: docker.io/library/debian:12
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-caps
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  modern: {{ semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version | quote }}
""",
    "custom.yaml": """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  image: quay.io/acme/widget:3.1
  exporterImage: quay.io/acme/exporter:0.9
  description: "not an image"
""",
    "hook.yaml": """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    "helm.sh/hook": pre-install
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: acme/migrate:7
""",
    "service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  ports: [{port: 80}]
""",
}

_SUB = {
    "Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.2.0\n",
    "values.yaml": "image:\n  repository: acme/sub\n  tag: 0.2.0\n",
    "templates/sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Release.Name }}-sub\n",
    "templates/ds.yaml": """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-sub
spec:
  template:
    spec:
      containers:
        - name: sub
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
""",
}
_EXTRA = {
    "Chart.yaml": "apiVersion: v2\nname: extra\nversion: 0.3.0\n",
    "values.yaml": "image:\n  repository: acme/never\n  tag: 9.9.9\n",
    "templates/sts.yaml": "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: extra\n",
}
KINDS_CHART_YAML = """\
apiVersion: v2
name: kinds
version: 1.0.0
annotations:
  artifacthub.io/images: |
    - name: web
      image: quay.io/acme/web:1.10
    - name: docs
      image: acme/docs:1
dependencies:
  - name: sub
    version: 0.2.0
    condition: sub.enabled
  - name: extra
    version: 0.3.0
    condition: extra.enabled
"""
IMAGES_LOCK = """\
apiVersion: v0
kind: ImagesLock
images:
  - name: web
    image: quay.io/acme/web:1.10
  - name: locked
    image: docker.io/acme/locked:5
"""


def kinds_chart() -> bytes:
    """The `kinds` chart, 1.0.0."""
    extra = {f"kinds/templates/{name}": text.encode() for name, text in _TEMPLATES.items()}
    extra.update({f"kinds/charts/sub/{name}": text.encode() for name, text in _SUB.items()})
    extra.update({f"kinds/charts/extra/{name}": text.encode() for name, text in _EXTRA.items()})
    extra["kinds/Chart.yaml"] = KINDS_CHART_YAML.encode()
    extra["kinds/Images.lock"] = IMAGES_LOCK.encode()
    return chart_archive("kinds", "1.0.0", values=KINDS_VALUES, extra=extra)


def one_template_chart(name: str, template: str, version: str = "0.1.0") -> bytes:
    """A chart whose only template is `template`."""
    return chart_archive(name, version, values="{}\n", extra={f"{name}/templates/main.yaml": template.encode()})


# Ten thousand million iterations in little memory: only the time limit stops it.
ENDLESS_LOOP = (
    "{{- range until 100000 }}{{- range until 100000 }}{{- range until 1000 }}{{- end }}{{- end }}{{- end }}\n"
)
# A string doubled forty times: a terabyte, stopped by the memory limit.
MEMORY_BOMB = '{{- $s := "0123456789abcdef" }}{{- range until 40 }}{{- $s = printf "%s%s" $s $s }}{{- end }}{{ $s }}\n'
FAILING = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    '{{- if not .Values.domain }}\n{{- fail "domain cannot be empty" }}\n{{- end }}\n'
)
