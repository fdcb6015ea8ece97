"""Uses the official AgentOps Python SDK 0.3.26 (the JSON API before
OpenTelemetry) as its documentation shows, against an agentops-go server.
The Go test (legacy03_test.go) sets AGENTOPS_API_KEY and
AGENTOPS_API_ENDPOINT to the server and OPENAI_BASE_URL / OPENAI_API_KEY to
a fake OpenAI endpoint it serves.

Two sessions:
  weather  tags [v03, weather]: an agent (@track_agent), an action
           (@record_action), a tool (@record_tool), an LLMEvent recorded by
           hand, an OpenAI chat completion through the official openai client
           (recorded by the SDK's instrumentation), an ErrorEvent triggered
           by a ToolEvent; end_session("Success")
  failing  tags [v03, failing]: an ActionEvent; end_session("Fail", ...)
Each prints "TOKEN_COST <session id> <cost>": what end_session returned,
from update_session's token_cost.
"""

import agentops
from agentops import ActionEvent, ErrorEvent, LLMEvent, ToolEvent, record_action, record_tool, track_agent
import openai

agentops.init(auto_start_session=False)


@track_agent(name="forecaster")
class Forecaster:
    @record_action("plan-trip")
    def plan(self, city):
        return f"visit {city}"


@record_tool("lookup")
def lookup(city):
    return f"sunny in {city}"


session = agentops.start_session(tags=["v03", "weather"])
Forecaster().plan("Paris")
lookup("Paris")
session.record(
    LLMEvent(
        prompt=[{"role": "user", "content": "Weather in Paris?"}],
        completion={"role": "assistant", "content": "Sunny."},
        model="gpt-4o-mini",
        prompt_tokens=100,
        completion_tokens=20,
    )
)
reply = openai.OpenAI().chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarize: sunny in Paris"}]
)
fetch = ToolEvent(name="fetch-radar", params={"city": "Paris"})
session.record(ErrorEvent(trigger_event=fetch, exception=ConnectionError("radar offline")))
print("TOKEN_COST", session.session_id, session.end_session("Success"))

failing = agentops.start_session(tags=["v03", "failing"])
failing.record(ActionEvent(action_type="give-up"))
print("TOKEN_COST", failing.session_id, failing.end_session("Fail", end_state_reason="no radar"))
