package server

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// handleMetrics is POST /v1/metrics: OTLP/HTTP metrics, protobuf or JSON,
// optionally gzip, under the same credentials and limits as /v1/traces. The
// official SDKs export a few meters (LLM call durations, token counts) that
// the sessions already hold as spans, so the server checks the request is
// well formed and answers as a collector does, storing nothing.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	req, ok := s.openOTLP(w, r)
	if !ok {
		return
	}
	defer req.close()
	in := pmetricotlp.NewExportRequest()
	var err error
	if req.mediaType == contentProto {
		err = in.UnmarshalProto(req.body.Bytes())
	} else {
		err = in.UnmarshalJSON(req.body.Bytes())
	}
	if err != nil {
		s.metrics.rejectRequest("malformed")
		writeError(w, http.StatusBadRequest, "malformed OTLP metrics request ("+req.mediaType+"): "+err.Error())
		return
	}
	resp := pmetricotlp.NewExportResponse()
	var b []byte
	if req.mediaType == contentProto {
		b, err = resp.MarshalProto()
	} else {
		b, err = resp.MarshalJSON()
	}
	if err != nil { // cannot happen for an empty response
		s.log.Error("encoding metrics export response", "err", err)
		b = nil
	}
	w.Header().Set("Content-Type", req.mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
