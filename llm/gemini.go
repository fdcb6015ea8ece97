package llm

import (
	"encoding/json"
	"strings"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// Google Gemini generateContent and streamGenerateContent, on the Gemini API
// (https://ai.google.dev/api/generate-content) and on Vertex AI. The model is
// in the path (see match). Requests may spell field names in camelCase or, as
// the REST API also accepts, in snake_case; responses use camelCase.

type geminiPart struct {
	Text      string          `json:"text"`
	Thought   bool            `json:"thought"`
	Call      *geminiFunction `json:"functionCall"`
	CallSnake *geminiFunction `json:"function_call"`
	Resp      *geminiFunction `json:"functionResponse"`
	RespSnake *geminiFunction `json:"function_response"`
}

type geminiFunction struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Args     json.RawMessage `json:"args"`
	Response json.RawMessage `json:"response"`
}

func (p *geminiPart) call() *geminiFunction     { return either(p.Call, p.CallSnake) }
func (p *geminiPart) response() *geminiFunction { return either(p.Resp, p.RespSnake) }

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

// geminiContents is a request's contents: a list, or a single content as
// Vertex AI's examples send it.
type geminiContents []geminiContent

func (c *geminiContents) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var one geminiContent
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*c = geminiContents{one}
		return nil
	}
	return json.Unmarshal(b, (*[]geminiContent)(c))
}

type geminiGenerationConfig struct {
	Temperature           *float64        `json:"temperature"`
	TopP                  *float64        `json:"topP"`
	TopPSnake             *float64        `json:"top_p"`
	TopK                  *float64        `json:"topK"`
	TopKSnake             *float64        `json:"top_k"`
	CandidateCount        *int64          `json:"candidateCount"`
	CandidateCountSnake   *int64          `json:"candidate_count"`
	MaxOutputTokens       *int64          `json:"maxOutputTokens"`
	MaxOutputTokensSnake  *int64          `json:"max_output_tokens"`
	StopSequences         []string        `json:"stopSequences"`
	StopSequencesSnake    []string        `json:"stop_sequences"`
	Seed                  *int64          `json:"seed"`
	PresencePenalty       *float64        `json:"presencePenalty"`
	PresencePenaltySnake  *float64        `json:"presence_penalty"`
	FrequencyPenalty      *float64        `json:"frequencyPenalty"`
	FrequencyPenaltySnake *float64        `json:"frequency_penalty"`
	ResponseMimeType      string          `json:"responseMimeType"`
	ResponseMimeTypeSnake string          `json:"response_mime_type"`
	ResponseSchema        json.RawMessage `json:"responseSchema"`
	ResponseSchemaSnake   json.RawMessage `json:"response_schema"`
	ResponseJSONSchema    json.RawMessage `json:"responseJsonSchema"`
	ResponseJSONSchemaSn  json.RawMessage `json:"response_json_schema"`
}

type geminiDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Parameters           json.RawMessage `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	ParametersJSONSnake  json.RawMessage `json:"parameters_json_schema"`
}

type geminiTool struct {
	Declarations      []geminiDeclaration `json:"functionDeclarations"`
	DeclarationsSnake []geminiDeclaration `json:"function_declarations"`
	GoogleSearch      json.RawMessage     `json:"googleSearch"`
	GoogleSearchSnake json.RawMessage     `json:"google_search"`
	CodeExecution     json.RawMessage     `json:"codeExecution"`
	CodeExecutionSn   json.RawMessage     `json:"code_execution"`
}

func parseGeminiRequest(b []byte) (call, bool) {
	var r struct {
		Contents          geminiContents          `json:"contents"`
		System            *geminiContent          `json:"systemInstruction"`
		SystemSnake       *geminiContent          `json:"system_instruction"`
		Tools             []geminiTool            `json:"tools"`
		GenerationConfig  *geminiGenerationConfig `json:"generationConfig"`
		GenerationConfigS *geminiGenerationConfig `json:"generation_config"`
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpGenerateContent}
	if g := either(r.GenerationConfig, r.GenerationConfigS); g != nil {
		c.temperature = g.Temperature
		c.topP = either(g.TopP, g.TopPSnake)
		c.maxTokens = either(g.MaxOutputTokens, g.MaxOutputTokensSnake)
		c.params.topK = either(g.TopK, g.TopKSnake)
		c.params.choiceCount = either(g.CandidateCount, g.CandidateCountSnake)
		c.params.stop = g.StopSequences
		if c.params.stop == nil {
			c.params.stop = g.StopSequencesSnake
		}
		c.params.seed = g.Seed
		c.params.presencePenalty = either(g.PresencePenalty, g.PresencePenaltySnake)
		c.params.frequencyPenalty = either(g.FrequencyPenalty, g.FrequencyPenaltySnake)
		mime := g.ResponseMimeType
		if mime == "" {
			mime = g.ResponseMimeTypeSnake
		}
		if mime != "" {
			c.params.responseFormat = mime
			c.params.outputType = semconv.OutputText
			if mime == "application/json" || strings.HasSuffix(mime, "+json") {
				c.params.outputType = semconv.OutputJSON
			}
		}
	}
	for _, t := range r.Tools {
		decls := t.Declarations
		if decls == nil {
			decls = t.DeclarationsSnake
		}
		for _, d := range decls {
			params := d.Parameters
			for _, alt := range [...]json.RawMessage{d.ParametersJSONSchema, d.ParametersJSONSnake} {
				if len(params) == 0 {
					params = alt
				}
			}
			c.params.tools = append(c.params.tools, toolDef{Type: "function", Name: d.Name, Description: d.Description, Parameters: compact(params)})
		}
		switch {
		case t.GoogleSearch != nil || t.GoogleSearchSnake != nil:
			c.params.tools = append(c.params.tools, toolDef{Type: "google_search"})
		case t.CodeExecution != nil || t.CodeExecutionSn != nil:
			c.params.tools = append(c.params.tools, toolDef{Type: "code_execution"})
		}
	}
	if s := either(r.System, r.SystemSnake); s != nil {
		c.messages = append(c.messages, message{role: "system", content: geminiText(s.Parts)})
	}
	for _, ct := range r.Contents {
		c.messages = appendGeminiContent(c.messages, ct)
	}
	return c, true
}

// appendGeminiContent records a content as a message ("model" is recorded as
// "assistant"), its function calls as the message's tool calls, and each
// function response as a message of role "tool".
func appendGeminiContent(msgs []message, ct geminiContent) []message {
	role := ct.Role
	if role == "model" {
		role = "assistant"
	}
	m := message{role: role, content: geminiText(ct.Parts)}
	var responses []message
	for i := range ct.Parts {
		p := &ct.Parts[i]
		if f := p.call(); f != nil {
			m.toolCalls = append(m.toolCalls, toolCall{id: f.ID, name: f.Name, arguments: string(compact(f.Args))})
		}
		if f := p.response(); f != nil {
			responses = append(responses, message{role: "tool", content: string(compact(f.Response))})
		}
	}
	if m.content != "" || len(m.toolCalls) > 0 || len(responses) == 0 {
		msgs = append(msgs, m)
	}
	return append(msgs, responses...)
}

// geminiText joins the text parts that are not thoughts.
func geminiText(parts []geminiPart) string {
	var b strings.Builder
	for i := range parts {
		if !parts[i].Thought {
			b.WriteString(parts[i].Text)
		}
	}
	return b.String()
}

// geminiResponse is a GenerateContentResponse: the whole body of a
// generateContent call and each element of a streamed one.
type geminiResponse struct {
	ResponseID   string `json:"responseId"`
	ModelVersion string `json:"modelVersion"`
	Candidates   []struct {
		Index        int           `json:"index"`
		Content      geminiContent `json:"content"`
		FinishReason string        `json:"finishReason"`
	} `json:"candidates"`
	Usage *geminiUsage `json:"usageMetadata"`
}

type geminiUsage struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
}

// usage converts u: promptTokenCount includes the cached tokens;
// candidatesTokenCount excludes the thoughts, which the OTel convention
// counts as output, and the tool-use prompt is input.
func (u *geminiUsage) usage() (*pricing.Usage, int64) {
	if u == nil {
		return nil, 0
	}
	out := &pricing.Usage{
		Input:     u.PromptTokenCount + u.ToolUsePromptTokenCount,
		Output:    u.CandidatesTokenCount + u.ThoughtsTokenCount,
		CacheRead: u.CachedContentTokenCount,
		Reasoning: u.ThoughtsTokenCount,
	}
	total := u.TotalTokenCount
	if total == 0 {
		total = out.Input + out.Output
	}
	return out, total
}

func parseGeminiResponse(b []byte) (result, error) {
	var r geminiResponse
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	out := result{id: r.ResponseID, model: r.ModelVersion}
	for _, cand := range r.Candidates {
		m := message{role: "assistant", finishReason: cand.FinishReason}
		for _, msg := range appendGeminiContent(nil, cand.Content) {
			m.content += msg.content
			m.toolCalls = append(m.toolCalls, msg.toolCalls...)
		}
		out.completions = append(out.completions, m)
	}
	out.usage, out.total = r.Usage.usage()
	return out, nil
}

// geminiStream assembles a streamed response. Each event (an SSE data field
// with alt=sse, else an element of the streamed JSON array) is a
// GenerateContentResponse carrying the next parts of each candidate; the
// usage metadata of the last event that has some is the call's.
type geminiStream struct {
	chunk      geminiChunk // decoded into again for every event
	dec, udec  eventDecoder
	id, model  string
	candidates []streamedCandidate
	usage      *geminiUsage // &lastUsage once an event had usage
	lastUsage  geminiUsage
	failure    *failure
}

// geminiChunk is a streamed GenerateContentResponse read without
// allocating: texts are jsonText, repeated ids compared, the usage kept
// raw (a RawMessage reuses its buffer) and decoded into the stream's own
// value; reset keeps the buffers.
type geminiChunk struct {
	ResponseID   repeated               `json:"responseId"`
	ModelVersion repeated               `json:"modelVersion"`
	Candidates   []geminiChunkCandidate `json:"candidates"`
	Usage        json.RawMessage        `json:"usageMetadata"`
}

type geminiChunkCandidate struct {
	Index   int `json:"index"`
	Content struct {
		Parts []geminiChunkPart `json:"parts"`
	} `json:"content"`
	FinishReason string `json:"finishReason"`
}

type geminiChunkPart struct {
	Text      jsonText        `json:"text"`
	Thought   bool            `json:"thought"`
	Call      *geminiFunction `json:"functionCall"`
	CallSnake *geminiFunction `json:"function_call"`
}

func (c *geminiChunk) reset() {
	cands := c.Candidates[:cap(c.Candidates)]
	for i := range cands {
		parts := cands[i].Content.Parts[:cap(cands[i].Content.Parts)]
		for j := range parts {
			parts[j] = geminiChunkPart{Text: parts[j].Text[:0]}
		}
		cands[i] = geminiChunkCandidate{}
		cands[i].Content.Parts = parts[:0]
	}
	*c = geminiChunk{ResponseID: c.ResponseID, ModelVersion: c.ModelVersion, Candidates: cands[:0], Usage: c.Usage[:0]}
}

type streamedCandidate struct {
	index  int
	text   []byte
	calls  []toolCall
	finish string
}

func newGeminiStream() streamParser { return &geminiStream{} }

func (s *geminiStream) event(_ string, data []byte) bool {
	if f := streamFailure(data); f != nil {
		s.fail(f)
		return false
	}
	r := &s.chunk
	r.reset()
	if err := s.dec.decode(data, r); err != nil {
		s.fail(&failure{typ: "malformed_response", message: "parse gemini stream event: " + err.Error()})
		return false
	}
	if r.ResponseID != "" {
		s.id = string(r.ResponseID)
	}
	if r.ModelVersion != "" {
		s.model = string(r.ModelVersion)
	}
	if len(r.Usage) > 0 && string(r.Usage) != "null" {
		s.lastUsage = geminiUsage{}
		if err := s.udec.decode(r.Usage, &s.lastUsage); err == nil {
			s.usage = &s.lastUsage
		}
	}
	output := false
	for ci := range r.Candidates {
		cand := &r.Candidates[ci]
		sc := s.candidate(cand.Index)
		for i := range cand.Content.Parts {
			p := &cand.Content.Parts[i]
			switch f := either(p.Call, p.CallSnake); {
			case f != nil:
				sc.calls = append(sc.calls, toolCall{id: f.ID, name: f.Name, arguments: string(compact(f.Args))})
				output = true
			case p.Thought:
				output = output || len(p.Text) > 0
			default:
				sc.text = append(sc.text, p.Text...)
				output = output || len(p.Text) > 0
			}
		}
		if cand.FinishReason != "" {
			sc.finish = cand.FinishReason
		}
	}
	return output
}

func (s *geminiStream) fail(f *failure) {
	if s.failure == nil {
		s.failure = f
	}
}

// complete reports whether every candidate has its finish reason, which
// Gemini sends in the last event.
func (s *geminiStream) complete() bool {
	for i := range s.candidates {
		if s.candidates[i].finish == "" {
			return false
		}
	}
	return len(s.candidates) > 0
}

func (s *geminiStream) candidate(index int) *streamedCandidate {
	for i := range s.candidates {
		if s.candidates[i].index == index {
			return &s.candidates[i]
		}
	}
	s.candidates = append(s.candidates, streamedCandidate{index: index})
	return &s.candidates[len(s.candidates)-1]
}

func (s *geminiStream) result() result {
	out := result{id: s.id, model: s.model, failure: s.failure}
	for _, c := range s.candidates {
		out.completions = append(out.completions, message{role: "assistant", content: string(c.text), toolCalls: c.calls, finishReason: c.finish})
	}
	out.usage, out.total = s.usage.usage()
	return out
}

// either returns a unless it is nil, else b: the camelCase spelling of a
// field unless only the snake_case one was sent.
func either[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
