package llm

import (
	"bytes"
	"encoding/json"

	"go.opentelemetry.io/otel/attribute"

	"github.com/agentops-go/agentops/semconv"
)

// params are the request parameters recorded beside temperature, top_p and
// max tokens (which call holds for every API).
type params struct {
	stop             []string
	topK             *float64
	seed             *int64
	frequencyPenalty *float64
	presencePenalty  *float64
	choiceCount      *int64
	tools            []toolDef
	outputType       string // semconv.OutputText or OutputJSON; "" when not asked for
	responseFormat   string // json_object, json_schema, text, or a MIME type
	schemaName       string

	// embeddings
	inputCount      int
	dimensions      *int64
	encodingFormats []string
}

// toolDef is one tool offered to the model, in the shape of the OTel GenAI
// tool definitions schema.
type toolDef struct {
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// appendParams records c.params. Tool definitions are recorded whether or
// not content is captured (they are the program's, not the user's), as one
// JSON list capped at the content size: past it the parameter schemas are
// dropped first, then the definitions that do not fit, so the value is always
// valid JSON and names survive longest.
func (t *transport) appendParams(attrs []attribute.KeyValue, c call) []attribute.KeyValue {
	p := &c.params
	if len(p.stop) > 0 {
		attrs = append(attrs, attribute.StringSlice(semconv.GenAIRequestStopSequences, p.stop))
	}
	if p.topK != nil {
		attrs = append(attrs, attribute.Float64(semconv.GenAIRequestTopK, *p.topK))
	}
	if p.seed != nil {
		attrs = append(attrs, attribute.Int64(semconv.GenAIRequestSeed, *p.seed))
	}
	if p.frequencyPenalty != nil {
		attrs = append(attrs, attribute.Float64(semconv.GenAIRequestFrequencyPenalty, *p.frequencyPenalty))
	}
	if p.presencePenalty != nil {
		attrs = append(attrs, attribute.Float64(semconv.GenAIRequestPresencePenalty, *p.presencePenalty))
	}
	if p.choiceCount != nil && *p.choiceCount != 1 { // the conventions record it only when not 1
		attrs = append(attrs, attribute.Int64(semconv.GenAIRequestChoiceCount, *p.choiceCount))
	}
	if len(p.tools) > 0 {
		attrs = append(attrs, attribute.String(semconv.GenAIToolDefinitions, toolsJSON(p.tools, t.cfg.maxContentBytes)))
	}
	if p.outputType != "" {
		attrs = append(attrs, attribute.String(semconv.GenAIOutputType, p.outputType))
	}
	if p.responseFormat != "" {
		attrs = append(attrs, attribute.String(semconv.GenAIRequestResponseFormat, p.responseFormat))
	}
	if p.schemaName != "" {
		attrs = append(attrs, attribute.String(semconv.GenAIRequestResponseSchema, p.schemaName))
	}
	if c.operation == semconv.OpEmbeddings {
		attrs = append(attrs, attribute.Int(semconv.GenAIEmbeddingsInputCount, p.inputCount))
	}
	if p.dimensions != nil {
		attrs = append(attrs, attribute.Int64(semconv.GenAIEmbeddingsDimensions, *p.dimensions))
	}
	if len(p.encodingFormats) > 0 {
		attrs = append(attrs, attribute.StringSlice(semconv.GenAIRequestEncodingFormats, p.encodingFormats))
	}
	return attrs
}

// toolsJSON encodes tools as a JSON list of at most limit bytes (see
// appendParams).
func toolsJSON(tools []toolDef, limit int) string {
	b, err := json.Marshal(tools)
	if err == nil && len(b) <= limit {
		return string(b)
	}
	bare := make([]toolDef, len(tools))
	for i, td := range tools {
		bare[i] = toolDef{Type: td.Type, Name: td.Name, Description: td.Description}
	}
	for n := len(bare); n > 0; n-- {
		if b, err := json.Marshal(bare[:n]); err == nil && len(b) <= limit {
			return string(b)
		}
	}
	return "[]"
}

// stopSequences reads OpenAI's "stop": a string, a list of strings, or null.
func stopSequences(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	unmarshal(raw, &many) // not a list of strings: none recorded
	return many
}

// openAIResponseFormat reads Chat Completions' response_format:
// {"type": "text" | "json_object" | "json_schema", "json_schema": {"name": ...}}.
func openAIResponseFormat(raw json.RawMessage, p *params) {
	if len(raw) == 0 {
		return
	}
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	}
	if unmarshal(raw, &f) != nil {
		return
	}
	setFormat(p, f.Type, f.JSONSchema.Name)
}

// setFormat records an OpenAI-style format type and its schema's name.
func setFormat(p *params, typ, schemaName string) {
	switch typ {
	case "":
		return
	case "json_object", "json_schema":
		p.outputType = semconv.OutputJSON
	case "text":
		p.outputType = semconv.OutputText
	}
	p.responseFormat = typ
	p.schemaName = schemaName
}

// openAITools reads the tools of Chat Completions (and Ollama's chat):
// [{"type": "function", "function": {"name", "description", "parameters"}}];
// other tool types are recorded by type (and name, when they have one).
func openAITools(raw json.RawMessage) []toolDef {
	if len(raw) == 0 {
		return nil
	}
	var tools []struct {
		Type     string `json:"type"`
		Function *struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
		Custom *struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"custom"`
	}
	if unmarshal(raw, &tools) != nil {
		return nil
	}
	out := make([]toolDef, 0, len(tools))
	for _, t := range tools {
		d := toolDef{Type: t.Type}
		switch {
		case t.Function != nil:
			d.Name, d.Description, d.Parameters = t.Function.Name, t.Function.Description, compact(t.Function.Parameters)
		case t.Custom != nil:
			d.Name, d.Description = t.Custom.Name, t.Custom.Description
		}
		if d.Type == "" {
			d.Type = "function"
		}
		out = append(out, d)
	}
	return out
}

// compact removes insignificant space from a JSON value (a schema written
// with indentation costs bytes of the size cap for nothing); null is none.
func compact(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return nil
	}
	return b.Bytes()
}

func ptr[T any](v T) *T { return &v }
