package memory

import "github.com/charterhq/charter/storage"

// keyRecords are one workspace's idempotency records: a map from each key
// to its record's place, and the records in chunks (see chunked). The
// map's slots stay as small as a key and an int, and growing it or the
// records never copies more than the first chunk: a spend adds a record
// to a map that only grows.
type keyRecords struct {
	places map[string]int
	chunked[keyRecord]
}

// keyRecord is a record without its workspace and key, which its place
// gives; created is its time as micros keeps it.
type keyRecord struct {
	fingerprint, result string
	created             int64
}

func newKeyRecords() *keyRecords { return &keyRecords{places: map[string]int{}} }

// get returns the record of key in workspace ws.
func (rs *keyRecords) get(ws, key string) (storage.Idempotency, bool) {
	if rs == nil {
		return storage.Idempotency{}, false
	}
	i, ok := rs.places[key]
	if !ok {
		return storage.Idempotency{}, false
	}
	r := rs.at(i)
	return storage.Idempotency{Workspace: ws, Key: key, Fingerprint: r.fingerprint, Result: r.result, Created: at(r.created)}, true
}

// has reports whether key has a record.
func (rs *keyRecords) has(key string) bool {
	if rs == nil {
		return false
	}
	_, ok := rs.places[key]
	return ok
}

// add records r under key, which has none.
func (rs *keyRecords) add(key string, r keyRecord) {
	rs.places[key] = rs.n
	rs.push(r)
}

// drop undoes the last add, which recorded key.
func (rs *keyRecords) drop(key string) {
	delete(rs.places, key)
	rs.truncate(rs.n - 1)
}
