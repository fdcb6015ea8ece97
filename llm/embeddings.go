package llm

import (
	"encoding/json"

	"github.com/agentops-go/agentops/semconv"
)

// OpenAI Embeddings, https://platform.openai.com/docs/api-reference/embeddings
// (and the OpenAI-compatible APIs that serve it). Neither the inputs nor the
// vectors are recorded, only how many inputs there were.

func parseEmbeddingsRequest(b []byte) (call, bool) {
	var r struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     *int64          `json:"dimensions"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpEmbeddings, model: r.Model}
	c.params.inputCount = inputCount(r.Input)
	c.params.dimensions = r.Dimensions
	if r.EncodingFormat != "" {
		c.params.encodingFormats = []string{r.EncodingFormat}
	}
	return c, true
}

// inputCount counts the inputs of "input": a string or a list of token ids
// is one; a list of strings or of token-id lists is one per element.
func inputCount(raw json.RawMessage) int {
	var list []json.RawMessage
	if unmarshal(raw, &list) != nil {
		if len(raw) == 0 || string(raw) == "null" {
			return 0
		}
		return 1
	}
	if len(list) > 0 && len(list[0]) > 0 && (list[0][0] == '-' || '0' <= list[0][0] && list[0][0] <= '9') {
		return 1 // token ids
	}
	return len(list)
}

func parseEmbeddingsResponse(b []byte) (result, error) {
	var r struct { // "data" (the vectors) is skipped, not decoded
		Model string       `json:"model"`
		Usage *compatUsage `json:"usage"`
	}
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	out := result{model: r.Model}
	out.usage, out.total = r.Usage.usage()
	return out, nil
}
