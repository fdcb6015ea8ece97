"""Sends OTLP metrics to an agentops-go server with the exporter the official
AgentOps Python SDK 0.4.x uses for its meters (opentelemetry-exporter-otlp-
proto-http's OTLPMetricExporter, authenticated with a token from
/v3/auth/token as the SDK does). The SDK itself always sends its metrics to
otlp.agentops.ai, so this script points the same exporter at the server.
Exits non-zero unless the export succeeded.
"""

import os
import sys

import requests
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult

endpoint = os.environ["AGENTOPS_API_ENDPOINT"]
token = requests.post(endpoint + "/v3/auth/token", json={"api_key": os.environ["AGENTOPS_API_KEY"]}, timeout=10).json()["token"]

reader = InMemoryMetricReader()
meter = MeterProvider(metric_readers=[reader]).get_meter("agentops.instrumentation.openai")
meter.create_counter("gen_ai.client.token.usage").add(30, {"gen_ai.token.type": "input"})
meter.create_histogram("gen_ai.client.operation.duration").record(0.42, {"gen_ai.system": "openai"})

exporter = OTLPMetricExporter(endpoint=endpoint + "/v1/metrics", headers={"Authorization": f"Bearer {token}"})
result = exporter.export(reader.get_metrics_data())
print("metrics export:", result.name)
sys.exit(0 if result == MetricExportResult.SUCCESS else 1)
