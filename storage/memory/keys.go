package memory

import (
	"hash/maphash"
	"math"

	"github.com/charterhq/charter/storage"
)

// keyRecords are one workspace's idempotency records: the records in
// chunks (see chunked), each with its key, and an index from each key to
// its record's place.
//
// The index is an open-addressing table of its own rather than a Go map,
// because a spend adds a key to it that it looks up first, in a table that
// only grows: a slot is 8 bytes and holds no pointer (the key is in its
// record), so the collector never scans the index, and growing it moves
// slots by their stored hash without reading a key. On 300,000 new keys a
// lookup and an insert with the record take less than half of what they took
// with a map[string]int (BenchmarkKeyIndex). The hash is seeded per table (hash/maphash), so
// keys a client chose cannot be made to collide.
type keyRecords struct {
	seed maphash.Seed
	// slots has a power-of-two length of at least minKeySlots and is at
	// most three quarters full; linear probing, no tombstones.
	slots []keySlot
	chunked[keyRecord]
}

// keySlot is a slot of keyRecords' index: the low 32 bits of its key's
// hash, and its record's place plus one (0: the slot is empty).
type keySlot struct{ hash, place uint32 }

// minKeySlots is the length of a new index.
const minKeySlots = 16

// keyRecord is a record without its workspace, which its keyRecords
// gives; created is its time as micros keeps it.
type keyRecord struct {
	key, fingerprint, result string
	created                  int64
}

func newKeyRecords() *keyRecords {
	return &keyRecords{seed: maphash.MakeSeed(), slots: make([]keySlot, minKeySlots)}
}

// hash is key's hash in rs.
func (rs *keyRecords) hash(key string) uint32 { return uint32(maphash.String(rs.seed, key)) }

// find returns the slot of key, or the empty slot where it would go, with
// key's hash.
func (rs *keyRecords) find(key string) (i int, hash uint32, ok bool) {
	return rs.findHashed(key, rs.hash(key))
}

// findHashed is find of key, whose hash is hash.
func (rs *keyRecords) findHashed(key string, hash uint32) (i int, _ uint32, ok bool) {
	mask := len(rs.slots) - 1
	for i = int(hash) & mask; ; i = (i + 1) & mask {
		s := rs.slots[i]
		if s.place == 0 {
			return i, hash, false
		}
		if s.hash == hash && rs.at(int(s.place-1)).key == key {
			return i, hash, true
		}
	}
}

// get returns the record of key in workspace ws.
func (rs *keyRecords) get(ws, key string) (storage.Idempotency, bool) {
	r, _, ok := rs.lookup(ws, key)
	return r, ok
}

// lookup is get, with key's hash in rs (0 when rs is nil).
func (rs *keyRecords) lookup(ws, key string) (storage.Idempotency, uint32, bool) {
	if rs == nil {
		return storage.Idempotency{}, 0, false
	}
	i, hash, ok := rs.find(key)
	if !ok {
		return storage.Idempotency{}, hash, false
	}
	r := rs.at(int(rs.slots[i].place - 1))
	return storage.Idempotency{Workspace: ws, Key: key, Fingerprint: r.fingerprint, Result: r.result, Created: at(r.created)}, hash, true
}

// has reports whether key has a record.
func (rs *keyRecords) has(key string) bool {
	if rs == nil {
		return false
	}
	_, _, ok := rs.find(key)
	return ok
}

// add records r under key, which has none and whose hash is hash. A
// workspace holds fewer than 2^32 records (places are 32 bits; in memory
// that many would take hundreds of gigabytes).
func (rs *keyRecords) add(key string, hash uint32, r keyRecord) {
	if rs.n >= math.MaxUint32-1 {
		panic("memory: a workspace's idempotency records are full")
	}
	if (rs.n+1)*4 > len(rs.slots)*3 {
		rs.grow()
	}
	i, _, _ := rs.findHashed(key, hash)
	r.key = key
	rs.push(r)
	rs.slots[i] = keySlot{hash: hash, place: uint32(rs.n)}
}

// grow doubles the index, placing each slot by its stored hash.
func (rs *keyRecords) grow() {
	old := rs.slots
	rs.slots = make([]keySlot, 2*len(old))
	mask := len(rs.slots) - 1
	for _, s := range old {
		if s.place == 0 {
			continue
		}
		i := int(s.hash) & mask
		for rs.slots[i].place != 0 {
			i = (i + 1) & mask
		}
		rs.slots[i] = s
	}
}

// drop undoes the last add, which recorded key: it empties key's slot,
// moving back each slot after it in the same run that may take its place
// (so that no lookup stops short at the hole), and drops the record.
func (rs *keyRecords) drop(key string) {
	i, _, ok := rs.find(key)
	if !ok || int(rs.slots[i].place) != rs.n {
		panic("memory: drop of a key that is not the last added")
	}
	mask := len(rs.slots) - 1
	for j := (i + 1) & mask; rs.slots[j].place != 0; j = (j + 1) & mask {
		// The slot at j may move to i when i lies between its home and j.
		if home := int(rs.slots[j].hash) & mask; (j-home)&mask >= (j-i)&mask {
			rs.slots[i] = rs.slots[j]
			i = j
		}
	}
	rs.slots[i] = keySlot{}
	rs.truncate(rs.n - 1)
}
