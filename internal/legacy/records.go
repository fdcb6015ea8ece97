package legacy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// sessionRecord is the "session" object of create_session and
// update_session: the Python SDK's Session.__dict__, unjsonable fields
// blanked. Fields other SDK versions type differently are kept raw.
type sessionRecord struct {
	SessionID      string          `json:"session_id"`
	InitTimestamp  string          `json:"init_timestamp"`
	EndTimestamp   *string         `json:"end_timestamp"`
	EndState       *string         `json:"end_state"`
	EndStateReason *string         `json:"end_state_reason"`
	Tags           json.RawMessage `json:"tags"`
	Video          *string         `json:"video"`
	HostEnv        json.RawMessage `json:"host_env"`
	Name           *string         `json:"name"`
}

// ended reports whether an update says the session is over: it has an end
// timestamp, or a final end state. (0.3.x sends end_state "Indeterminate"
// from the start, so that state alone does not end it.)
func (s *sessionRecord) ended() bool {
	if s.EndTimestamp != nil && *s.EndTimestamp != "" {
		return true
	}
	if s.EndState == nil {
		return false
	}
	switch strings.ToLower(*s.EndState) {
	case "success", "fail", "failure":
		return true
	}
	return false
}

// eventRecord is one element of create_events' and update_events' "events":
// the event dataclass's fields flattened next to id, event_type and the
// timestamps.
type eventRecord struct {
	ID            rawString `json:"id"`
	EventType     string    `json:"event_type"`
	InitTimestamp string    `json:"init_timestamp"`
	EndTimestamp  *string   `json:"end_timestamp"`
	SessionID     rawString `json:"session_id"`
	AgentID       rawString `json:"agent_id"`

	Params  json.RawMessage `json:"params"`
	Returns json.RawMessage `json:"returns"`
	Logs    json.RawMessage `json:"logs"`

	// ActionEvent
	ActionType rawString `json:"action_type"`
	Screenshot rawString `json:"screenshot"`
	// LLMEvent
	ThreadID         rawString       `json:"thread_id"`
	Prompt           json.RawMessage `json:"prompt"`
	PromptTokens     json.RawMessage `json:"prompt_tokens"`
	Completion       json.RawMessage `json:"completion"`
	CompletionTokens json.RawMessage `json:"completion_tokens"`
	Cost             json.RawMessage `json:"cost"`
	Model            rawString       `json:"model"`
	// ToolEvent (name also names an action in 0.3.x)
	Name     rawString `json:"name"`
	ToolName rawString `json:"tool_name"`
	// ErrorEvent
	ErrorType        rawString       `json:"error_type"`
	Code             rawString       `json:"code"`
	Details          rawString       `json:"details"`
	TriggerEvent     json.RawMessage `json:"trigger_event"` // 0.3.x: "" (unserializable); an object {"id", "event_type"} in others
	TriggerEventID   rawString       `json:"trigger_event_id"`
	TriggerEventType rawString       `json:"trigger_event_type"`
}

// trigger returns the id and type of the event that caused an error, if
// the record names one.
func (e *eventRecord) trigger() (id, typ string) {
	if e.TriggerEventID != "" {
		return string(e.TriggerEventID), string(e.TriggerEventType)
	}
	var t struct {
		ID        rawString `json:"id"`
		EventType rawString `json:"event_type"`
	}
	if len(e.TriggerEvent) > 0 && e.TriggerEvent[0] == '{' && json.Unmarshal(e.TriggerEvent, &t) == nil {
		return string(t.ID), string(t.EventType)
	}
	return "", ""
}

// agentRecord is create_agent's body.
type agentRecord struct {
	ID        rawString `json:"id"`
	Name      rawString `json:"name"`
	SessionID rawString `json:"session_id"` // not sent by 0.3.x, which names the session by its token
}

// rawString reads any JSON value as text: a string as itself, null as "",
// anything else as its compact JSON (a UUID, a number, an object).
type rawString string

func (r *rawString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*r = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = rawString(s)
	default:
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return err
		}
		*r = rawString(buf.String())
	}
	return nil
}

// jsonText is a raw value as an attribute's text: a JSON string as itself,
// null (or absent) as "", anything else as compact JSON.
func jsonText(raw json.RawMessage) string {
	var r rawString
	if len(raw) == 0 || r.UnmarshalJSON(raw) != nil {
		return ""
	}
	return string(r)
}

// jsonInt reads a token count: a JSON number or a numeric string; false
// for null, absent or anything else.
func jsonInt(raw json.RawMessage) (int64, bool) {
	f, ok := jsonNumber(raw)
	if !ok || f < 0 || f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func jsonNumber(raw json.RawMessage) (float64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if s == "" || s == "null" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// tagList reads tags: a JSON list of strings (other values as text), or a
// comma-separated string. nil when absent or null.
func tagList(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	out := []string{}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for _, t := range list {
			if s := strings.TrimSpace(jsonText(t)); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	for t := range strings.SplitSeq(jsonText(raw), ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}
