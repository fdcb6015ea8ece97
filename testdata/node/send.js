// Sends one agent session per OTLP protocol to an agentops server with the
// OpenTelemetry JS SDK and its official exporters, then prints the trace id
// of each session as JSON ({"http/json": "...", "http/protobuf": "...",
// "grpc": "..."}) on stdout. Errors go to stderr with a non-zero exit.
//
// Environment:
//   AGENTOPS_HTTP_ENDPOINT  base URL of the HTTP listener (http://127.0.0.1:4318)
//   AGENTOPS_GRPC_ENDPOINT  URL of the OTLP/gRPC listener (http://127.0.0.1:4317)
//   AGENTOPS_API_KEY        the project's API key
//   AGENTOPS_PROTOCOLS      optional, comma-separated subset of the protocols
'use strict';

const { SpanStatusCode, SpanKind, trace, context } = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: HTTPJSONExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: HTTPProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: GRPCExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
const { Metadata } = require('@grpc/grpc-js');

function env(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
}

function exporterFor(protocol) {
  const key = env('AGENTOPS_API_KEY');
  switch (protocol) {
    case 'http/json':
      return new HTTPJSONExporter({
        url: env('AGENTOPS_HTTP_ENDPOINT') + '/v1/traces',
        headers: { 'X-Agentops-Api-Key': key },
      });
    case 'http/protobuf':
      return new HTTPProtoExporter({
        url: env('AGENTOPS_HTTP_ENDPOINT') + '/v1/traces',
        headers: { Authorization: `Bearer ${key}` },
        compression: 'gzip',
      });
    case 'grpc': {
      const metadata = new Metadata();
      metadata.set('x-agentops-api-key', key);
      return new GRPCExporter({ url: env('AGENTOPS_GRPC_ENDPOINT'), metadata, compression: 'gzip' });
    }
    default:
      throw new Error(`unknown protocol ${protocol}`);
  }
}

// session records one agent run: a session root, an agent, a tool call and
// two LLM calls with GenAI usage (the second with cached input tokens).
function session(tracer, protocol) {
  const root = tracer.startSpan(`node-session ${protocol}`, {
    attributes: {
      'agentops.span.kind': 'session',
      'agentops.tags': ['node', protocol],
      'host.name': 'node-host',
    },
  });
  const inRoot = trace.setSpan(context.active(), root);

  const agent = tracer.startSpan('invoke_agent planner', {
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
  }, inRoot);
  const inAgent = trace.setSpan(inRoot, agent);

  const llm1 = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Plan a trip to Lisbon.' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Day 1: Alfama.' }], finish_reason: 'stop' }]),
    },
  }, inAgent);
  llm1.end();

  const tool = tracer.startSpan('execute_tool weather', {
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'weather',
      'gen_ai.tool.call.arguments': '{"city":"Lisbon"}',
      'gen_ai.tool.call.result': '"sunny"',
    },
  }, inAgent);
  tool.end();

  const llm2 = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 2000,
      'gen_ai.usage.cache_read_input_tokens': 1500,
      'gen_ai.usage.output_tokens': 300,
    },
  }, inAgent);
  llm2.end();

  agent.end();
  root.setAttribute('agentops.session.end_state', 'Success');
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return root.spanContext().traceId;
}

async function main() {
  const protocols = (process.env.AGENTOPS_PROTOCOLS || 'http/json,http/protobuf,grpc').split(',');
  const out = {};
  for (const protocol of protocols) {
    const exporter = exporterFor(protocol);
    // Every span is exported when it ends; a failed export is an error here.
    let failure;
    const checked = {
      export(spans, done) {
        exporter.export(spans, (result) => {
          if (result.code !== 0 && !failure) {
            failure = result.error || new Error(`export failed with code ${result.code}`);
          }
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => (exporter.forceFlush ? exporter.forceFlush() : Promise.resolve()),
    };
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'node-agent', 'telemetry.sdk.language': 'nodejs' }),
      spanProcessors: [new SimpleSpanProcessor(checked)],
    });
    out[protocol] = session(provider.getTracer('agentops-node-proof'), protocol);
    await provider.forceFlush();
    await provider.shutdown();
    if (failure) {
      throw new Error(`${protocol}: ${failure.message || failure}`);
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  process.stderr.write(`send.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
