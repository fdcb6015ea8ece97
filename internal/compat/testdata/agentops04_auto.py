"""The shortest use of the official AgentOps Python SDK 0.4.x, as its
quickstart shows: agentops.init() starts a session by itself, the OpenAI
call is recorded, and the session ends when the program exits. The Go test
sets the same variables as for agentops04.py.
"""

import agentops
import openai

agentops.init(default_tags=["quickstart"])

reply = openai.OpenAI().chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarize: sunny in Paris"}]
)
print("reply:", reply.choices[0].message.content)
