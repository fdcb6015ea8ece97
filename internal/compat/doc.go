// Package compat holds the tests that run the official AgentOps SDKs,
// unchanged, against a real server: Python agentops 0.4.x (OTLP, token
// exchange, log upload) and 0.3.26 (the legacy v2 JSON API). They need the
// Python environments .ci/python-setup creates and are switched on by
// AGENTOPS_PYTHON_TEST=1, with AGENTOPS_PYTHON_04 and AGENTOPS_PYTHON_03
// naming the interpreters; when that variable is set and an interpreter is
// missing they fail, when it is not set they skip.
package compat
