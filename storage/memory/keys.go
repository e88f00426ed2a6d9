package memory

import "github.com/charterhq/charter/storage"

// keyRecords are one workspace's idempotency records: a map from each key
// to its record's place, and the records in chunks. The map's slots stay
// as small as a key and an int, and growing it or the records never copies
// more than the first chunk: a spend adds a record to a map that only
// grows.
type keyRecords struct {
	at     map[string]int
	chunks [][]keyRecord
	n      int
}

// keyRecord is a record without its workspace and key, which its place
// gives; created is its time as micros keeps it.
type keyRecord struct {
	fingerprint, result string
	created             int64
}

// recordChunk is how many records a full chunk holds.
const recordChunk = 256

func newKeyRecords() *keyRecords { return &keyRecords{at: map[string]int{}} }

// get returns the record of key in workspace ws.
func (rs *keyRecords) get(ws, key string) (storage.Idempotency, bool) {
	if rs == nil {
		return storage.Idempotency{}, false
	}
	i, ok := rs.at[key]
	if !ok {
		return storage.Idempotency{}, false
	}
	r := &rs.chunks[i/recordChunk][i%recordChunk]
	return storage.Idempotency{Workspace: ws, Key: key, Fingerprint: r.fingerprint, Result: r.result, Created: at(r.created)}, true
}

// has reports whether key has a record.
func (rs *keyRecords) has(key string) bool {
	if rs == nil {
		return false
	}
	_, ok := rs.at[key]
	return ok
}

// add records r under key, which has none. The first chunk grows as a
// slice does; the others are made full size.
func (rs *keyRecords) add(key string, r keyRecord) {
	if rs.n == len(rs.chunks)*recordChunk {
		var c []keyRecord
		if rs.n > 0 {
			c = make([]keyRecord, 0, recordChunk)
		}
		rs.chunks = append(rs.chunks, c)
	}
	last := &rs.chunks[len(rs.chunks)-1]
	*last = append(*last, r)
	rs.at[key] = rs.n
	rs.n++
}

// drop undoes the last add, which recorded key.
func (rs *keyRecords) drop(key string) {
	delete(rs.at, key)
	rs.n--
	last := &rs.chunks[len(rs.chunks)-1]
	(*last)[len(*last)-1] = keyRecord{}
	*last = (*last)[:len(*last)-1]
	if len(*last) == 0 {
		rs.chunks[len(rs.chunks)-1] = nil
		rs.chunks = rs.chunks[:len(rs.chunks)-1]
	}
}
