package llm

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonText is a JSON string field decoded into a byte buffer that is kept
// between decodes: a streamed delta's text (a chunk's content, a tool
// call's arguments fragment) is read without allocating once the buffer
// has grown to the longest delta. null and an absent field leave it empty
// (the parsers reset it before each event). Decoded as encoding/json
// decodes a string into a Go string (TestJSONTextMatchesDecode).
type jsonText []byte

func (t *jsonText) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = (*t)[:0]
		return nil
	}
	out, ok := appendJSONString((*t)[:0], b)
	if !ok { // something appendJSONString leaves to encoding/json (or not a string: its error)
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		out = append((*t)[:0], s...)
	}
	*t = out
	return nil
}

// appendJSONString appends the value of the JSON string b (quotes
// included) to dst; false for anything but a well-formed string.
// Escapes (\uXXXX with surrogate pairs included) are decoded and invalid
// UTF-8 bytes become U+FFFD, as encoding/json does.
func appendJSONString(dst, b []byte) ([]byte, bool) {
	n := len(b)
	if n < 2 || b[0] != '"' || b[n-1] != '"' {
		return dst, false
	}
	s := b[1 : n-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return dst, false
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := hex4(s[i+2:])
				if !ok {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok := rune(-1), false
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2, ok = hex4(s[i+2:])
					}
					if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
						r = d
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				return dst, false
			}
			i += 2
		case c == '"' || c < 0x20:
			return dst, false
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < utf8.RuneSelf && s[j] != '\\' && s[j] != '"' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return dst, true
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// knownName is a JSON string field that mostly holds one of a few names
// (event and delta types): a known name is not allocated again.
type knownName string

var knownNames = map[string]string{}

func init() {
	for _, n := range []string{
		// Anthropic's stream events and deltas
		"message_start", "content_block_start", "content_block_delta", "content_block_stop",
		"message_delta", "message_stop", "ping", "error",
		"text_delta", "input_json_delta", "thinking_delta", "signature_delta", "citations_delta",
		"text", "tool_use", "thinking",
		// OpenAI Responses stream events
		"response.created", "response.in_progress", "response.completed", "response.incomplete",
		"response.failed", "response.output_item.added", "response.output_item.done",
		"response.content_part.added", "response.content_part.done",
		"response.output_text.delta", "response.output_text.done", "response.refusal.delta",
		"response.function_call_arguments.delta", "response.function_call_arguments.done",
		"response.reasoning_summary_text.delta", "response.reasoning_text.delta",
	} {
		knownNames[n] = n
	}
}

func (n *knownName) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		if v, ok := knownNames[string(b[1:len(b)-1])]; ok {
			*n = knownName(v)
			return nil
		}
	}
	return json.Unmarshal(b, (*string)(n))
}
