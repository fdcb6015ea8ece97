"""Uses the official AgentOps Python SDK 0.4.x as its documentation shows,
against an agentops-go server. The Go test (pysdk_test.go) sets
AGENTOPS_API_KEY, AGENTOPS_API_ENDPOINT, AGENTOPS_EXPORTER_ENDPOINT and
AGENTOPS_APP_URL to the server, and OPENAI_BASE_URL / OPENAI_API_KEY to a
fake OpenAI endpoint it serves.

Four sessions:
  weather-run   start_trace/end_trace("Success"): @workflow → @agent →
                @operation → @tool(cost=...) and an OpenAI chat completion
                through the official openai client (recorded by the SDK's
                instrumentation); prints a line, which the SDK uploads as the
                session's terminal log when this first trace ends
  decorated-run @trace(name=..., tags=...) around a tool
  failing-run   a @tool that raises, then end_trace(end_state="Error")
  session       legacy start_session(tags=...)/end_session("Fail", end_state_reason=...)
"""

import agentops
from agentops.sdk.decorators import agent, operation, tool, trace, workflow
import openai

agentops.init(auto_start_session=False)


@tool(cost=0.25)
def lookup(city):
    return f"sunny in {city}"


@agent
class Forecaster:
    @operation
    def forecast(self, city):
        weather = lookup(city)
        client = openai.OpenAI()
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Summarize: {weather}"}],
        )
        return reply.choices[0].message.content


@workflow
def plan(city):
    return Forecaster().forecast(city)


run = agentops.start_trace("weather-run", tags=["pysdk", "weather"])
print("forecast:", plan("Paris"), "<script>alert(1)</script>")
agentops.end_trace(run, end_state="Success")


@trace(name="decorated-run", tags=["decorated"])
def decorated():
    return lookup("Oslo")


decorated()

@tool
def flaky(city):
    raise ValueError(f"no forecast for {city}")


failing = agentops.start_trace("failing-run", tags=["failing"])
try:
    flaky("Lima")
except ValueError:
    pass
agentops.end_trace(failing, end_state="Error")

agentops.start_session(tags=["legacy-api"])
lookup("Rome")
agentops.end_session("Fail", end_state_reason="rained out")
