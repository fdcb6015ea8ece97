package llm

import (
	"bytes"
	"encoding/json"
	"strings"
)

// apiError reads the error a provider sends, as the body of an error status
// and as an event of a stream: OpenAI's and Anthropic's
// {"error": {"type", "code", "message"}}, Google's
// {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message"}} and
// Ollama's {"error": "message"}. The type is the error's type, else its
// status, else its code, else ""; ok is false when b carries no error.
func apiError(b []byte) (f failure, ok bool) {
	if !bytes.Contains(b, []byte(`"error"`)) { // the common case: a chunk without one
		return failure{}, false
	}
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if unmarshal(b, &e) != nil || len(e.Error) == 0 || string(e.Error) == "null" {
		return failure{}, false
	}
	var msg string
	if unmarshal(e.Error, &msg) == nil {
		return failure{message: msg}, true
	}
	var o struct {
		Type    string          `json:"type"`
		Status  string          `json:"status"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if unmarshal(e.Error, &o) != nil {
		return failure{}, false
	}
	f = failure{typ: o.Type, message: o.Message}
	if f.typ == "" {
		f.typ = o.Status
	}
	if f.typ == "" && string(o.Code) != "null" {
		f.typ = strings.Trim(string(o.Code), `"`)
	}
	return f, true
}

// streamFailure is the failure a stream's error event reports, typed
// "error" when the provider gave no type.
func streamFailure(b []byte) *failure {
	f, ok := apiError(b)
	if !ok {
		return nil
	}
	if f.typ == "" {
		f.typ = "error"
	}
	return &failure{typ: f.typ, message: f.message} // not &f: f would be allocated on every call
}
