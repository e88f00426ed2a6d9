// Package backendtest holds the charter Service's tests that must run on
// every storage backend: the end-to-end flows of the shipped policies, the
// rapid state machines of the Service and of its credits, the concurrency
// and race tests, two Service instances on one PostgreSQL, and the storage
// benchmarks (BenchmarkStorage, BenchmarkSpend). Each runs on the in-memory
// store, on SQLite in a temporary file, and on PostgreSQL when
// CHARTER_POSTGRES_URL is set (scripts/with-postgres.sh starts a throwaway
// server), so the root package's own tests need no SQL driver.
//
// The package has no API; it exists for its tests:
//
//	bash scripts/with-postgres.sh go test ./backendtest/
package backendtest
