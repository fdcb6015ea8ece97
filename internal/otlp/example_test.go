package otlp_test

import (
	"fmt"

	"github.com/agentops-go/agentops/internal/otlp"
)

func Example() {
	body := []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{
		"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
		"name":"anthropic.messages","startTimeUnixNano":"1000","endTimeUnixNano":"2000",
		"attributes":[
			{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
			{"key":"gen_ai.system","value":{"stringValue":"anthropic"}},
			{"key":"gen_ai.request.model","value":{"stringValue":"claude-sonnet-4"}},
			{"key":"gen_ai.usage.prompt_tokens","value":{"intValue":"12"}},
			{"key":"gen_ai.usage.cache_read_input_tokens","value":{"stringValue":"2000"}},
			{"key":"gen_ai.usage.completion_tokens","value":{"intValue":"40"}},
			{"key":"agentops.project.id","value":{"stringValue":"ignored"}}]}]}]}]}`)

	td, err := otlp.DecodeJSON(body)
	if err != nil {
		panic(err)
	}
	spans, rej := otlp.Normalize(td, "my-project", otlp.Limits{MaxAttrValueBytes: 64 << 10})
	s := spans[0]
	fmt.Println(s.ProjectID, s.TraceID, s.Kind, s.Provider, s.RequestModel)
	fmt.Printf("%+v\n", s.Usage)
	fmt.Println(rej.Count)
	// Output:
	// my-project 5b8efff798038103d269b633813fc60c llm anthropic claude-sonnet-4
	// {Input:2012 Output:40 CacheRead:2000 CacheWrite:0 Reasoning:0 Total:2052}
	// 0
}
