package server

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed requests
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/agentops-go/agentops/internal/auth"
)

// retryDelay is the RetryInfo of every retryable gRPC refusal, as
// Retry-After is of the HTTP ones.
const retryDelay = time.Second

// newGRPCServer builds the OTLP/gRPC server: the TraceService with the
// HTTP path's credentials, limits and durability rule. A message (after
// gzip) larger than MaxBodyBytes is refused by gRPC itself with
// ResourceExhausted. gRPC decodes a message before the handler runs, so
// the requests decoded at once are bounded per connection too
// (MaxConcurrent streams), not only by the handler's slot.
func (s *Server) newGRPCServer() *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(min(s.cfg.MaxBodyBytes, int64(^uint32(0)>>1)))),
		grpc.MaxConcurrentStreams(uint32(min(s.cfg.MaxConcurrent, 1<<20))),
		grpc.ChainUnaryInterceptor(s.metrics.timeGRPC, recoverGRPC(s.log)),
	}
	if tc := s.tlsConfig(); tc != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	gs := grpc.NewServer(opts...)
	ptraceotlp.RegisterGRPCServer(gs, &traceService{s: s})
	return gs
}

// traceService is opentelemetry.proto.collector.trace.v1.TraceService.
type traceService struct {
	ptraceotlp.UnimplementedGRPCServer
	s *Server
}

// Export answers only after every accepted span is committed. Statuses, as
// the OTLP specification maps them: Unauthenticated (no or a bad token) and
// PermissionDenied (an unknown or revoked key), not retried;
// ResourceExhausted for a request over the span limit, not retried (no
// RetryInfo); ResourceExhausted with RetryInfo when the ingest queue is
// full, and Unavailable with RetryInfo while shutting down or when the
// store failed, both retried; spans with an empty trace or span id are
// refused in partial_success.
func (t *traceService) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s := t.s
	resp := ptraceotlp.NewExportResponse()
	projectID, err := s.auth.FromCredentials(ctx, metadataValue(ctx, strings.ToLower(auth.HeaderAPIKey)), metadataValue(ctx, "authorization"))
	if err != nil {
		st, msg := s.authFailed(err)
		return resp, status.Error(grpcCodeOf(st), msg)
	}
	release, ok := s.acquire(ctx)
	if !ok {
		return resp, status.Error(codes.Canceled, "request ended while waiting its turn")
	}
	defer release()

	rej, xerr := s.export(ctx, projectID, req.Traces())
	if xerr != nil {
		switch {
		case xerr.overloaded:
			return resp, retryable(codes.ResourceExhausted, xerr.msg)
		case xerr.retry:
			return resp, retryable(codes.Unavailable, xerr.msg)
		default:
			return resp, status.Error(codes.ResourceExhausted, xerr.msg)
		}
	}
	if rej.Count > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(rej.Count))
		resp.PartialSuccess().SetErrorMessage(rej.Message)
	}
	return resp, nil
}

// metadataValue is the first value of an incoming metadata key (keys are
// lower case in gRPC).
func metadataValue(ctx context.Context, key string) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// retryable is a status the OTLP exporters retry after RetryInfo's delay.
func retryable(c codes.Code, msg string) error {
	st, err := status.New(c, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retryDelay)})
	if err != nil { // cannot happen: RetryInfo always marshals
		return status.Error(c, msg)
	}
	return st.Err()
}

// grpcCodeOf maps an HTTP status of the shared path to its gRPC code.
func grpcCodeOf(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	}
	return codes.Internal
}

// recoverGRPC turns a handler panic into Internal and a log line, as
// recoverPanics does for HTTP.
// timeGRPC observes each request's latency by method and status code (a
// recovered panic counts as Internal: recoverGRPC runs inside it).
func (m *metrics) timeGRPC(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	m.grpc.WithLabelValues(info.FullMethod, status.Code(err).String()).Observe(time.Since(start).Seconds())
	return resp, err
}

func recoverGRPC(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("gRPC handler panic", "method", info.FullMethod, "panic", v, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}
