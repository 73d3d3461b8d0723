{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "etcd-registrar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name, prefixed to the chart name unless it already contains it. */}}
{{- define "etcd-registrar.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "etcd-registrar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "etcd-registrar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "etcd-registrar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "etcd-registrar.labels" -}}
helm.sh/chart: {{ include "etcd-registrar.chart" . }}
{{ include "etcd-registrar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "etcd-registrar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "etcd-registrar.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "etcd-registrar.image" -}}
{{- if not .Values.image.repository }}
{{- fail (printf "image.repository is not set: no etcd-registrar image is published for you. Build it (scripts/build-image.sh), push it to a registry your cluster pulls from (scripts/push-image.sh REGISTRY/etcd-registrar), then set image.repository=REGISTRY/etcd-registrar; see deploy/README.md, \"An image your cluster can pull\". (A local image imported into the nodes: image.repository=localhost/etcd-registrar, tag %s.)" .Chart.AppVersion) }}
{{- end }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Where the pod sees its files. The config directory is the whole ConfigMap (no
subPath), so the kubelet's atomic `..data` swap reaches the running registrar. */}}
{{- define "etcd-registrar.configDir" -}}/etc/etcd-registrar{{- end }}
{{- define "etcd-registrar.tlsDir" -}}/etc/etcd-registrar-secrets/tls{{- end }}
{{- define "etcd-registrar.authDir" -}}/etc/etcd-registrar-secrets/auth{{- end }}
{{- define "etcd-registrar.webDir" -}}/etc/etcd-registrar-secrets/web{{- end }}

{{/* The registrar's config.yaml, built from values. */}}
{{- define "etcd-registrar.config" -}}
{{- $etcd := dict "endpoints" .Values.etcd.endpoints "dialTimeout" .Values.etcd.dialTimeout }}
{{- with .Values.etcd.username }}
{{- $_ := set $etcd "username" . }}
{{- end }}
{{- if .Values.etcd.password.existingSecret }}
{{- $_ := set $etcd "passwordFile" (printf "%s/%s" (include "etcd-registrar.authDir" .) .Values.etcd.password.key) }}
{{- end }}
{{- if .Values.etcd.tls.enabled }}
{{- $dir := include "etcd-registrar.tlsDir" . }}
{{- $tls := dict }}
{{- with .Values.etcd.tls.caKey }}{{ $_ := set $tls "caFile" (printf "%s/%s" $dir .) }}{{ end }}
{{- if .Values.etcd.tls.certKey }}
{{- $_ := set $tls "certFile" (printf "%s/%s" $dir .Values.etcd.tls.certKey) }}
{{- $_ := set $tls "keyFile" (printf "%s/%s" $dir (required "etcd.tls.keyKey is required with etcd.tls.certKey" .Values.etcd.tls.keyKey)) }}
{{- end }}
{{- with .Values.etcd.tls.serverName }}{{ $_ := set $tls "serverName" . }}{{ end }}
{{- $_ := set $etcd "tls" $tls }}
{{- end }}
{{- /* Sections in a fixed order, as a person would write the file. */}}
etcd:
  {{- toYaml $etcd | nindent 2 }}
registration:
  {{- toYaml .Values.registration | nindent 2 }}
cluster:
  {{- toYaml (omit .Values.cluster "name") | nindent 2 }}
  {{- with .Values.cluster.name }}
  name: {{ . | quote }}
  {{- end }}
server:
  listen: {{ printf "0.0.0.0:%d" (int .Values.adminPort) | quote }}
  {{- if .Values.webConfig.existingSecret }}
  webConfigFile: {{ printf "%s/%s" (include "etcd-registrar.webDir" .) .Values.webConfig.key | quote }}
  {{- end }}
log:
  {{- toYaml .Values.log | nindent 2 }}
metrics:
  {{- toYaml .Values.metrics | nindent 2 }}
probes:
  {{- toYaml .Values.probes | nindent 2 }}
defaults:
  {{- toYaml .Values.probeDefaults | nindent 2 }}
{{- if .Values.services }}
services:
  {{- toYaml .Values.services | nindent 2 }}
{{- else }}
services: []
{{- end }}
{{- end }}
