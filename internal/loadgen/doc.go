// Package loadgen is the load generator behind `agentops loadgen`: it sends a
// realistic GenAI trace payload to any OTLP/HTTP endpoint from N keep-alive
// connections and reports accepted spans per second, wire throughput, latency
// percentiles and errors.
//
// The generator is built not to be the bottleneck. Before the timed run it
// encodes a pool of distinct request bodies (Config.PoolSize, 64 by default).
// It records where every trace, span and parent span id sits in each encoded
// body, so giving a request fresh ids costs a copy and a few XORs, not a
// re-encode: each request XORs all trace ids with one random 16-byte mask and
// all span and parent ids with one random 8-byte mask. That keeps every
// parent link and every trace grouping intact while making the ids of one
// request unrelated to those of any other, so sessions never merge across
// requests. With Config.UniqueIDs off the pool bodies are sent verbatim and
// ids repeat every PoolSize requests. With gzip and unique ids each request
// is re-compressed (level 1), which costs about 3 ms of client CPU per
// 512-span request, some 170,000 spans/s per core, against more than
// 10 million without gzip; with gzip and repeating ids the pool is
// compressed once. BenchmarkNextRequest measures each mode.
package loadgen
