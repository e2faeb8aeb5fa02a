{{/* The chart name, overridable. */}}
{{- define "pumptrack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name: release-chart unless the release name already holds the chart name. */}}
{{- define "pumptrack.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "pumptrack.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pumptrack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pumptrack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pumptrack.labels" -}}
helm.sh/chart: {{ include "pumptrack.chart" . }}
{{ include "pumptrack.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "pumptrack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pumptrack.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pumptrack.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret with the server's TLS files. */}}
{{- define "pumptrack.tlsSecret" -}}
{{- if .Values.tls.certManager.enabled -}}
{{- printf "%s-tls" (include "pumptrack.fullname" .) -}}
{{- else -}}
{{- required "tls.existingSecret is required when tls.enabled is true and tls.certManager.enabled is false" .Values.tls.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* The in-cluster DNS name of the gRPC Service. */}}
{{- define "pumptrack.grpcHost" -}}
{{- printf "%s-grpc.%s.svc" (include "pumptrack.fullname" .) .Release.Namespace -}}
{{- end -}}
