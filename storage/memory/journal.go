package memory

import (
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// journalChunk is how many entries one chunk of a journal holds.
const journalChunk = 1024

// journal is one pool's journal, in chunks of journalChunk entries: an
// append copies at most the first chunk's entries, as it grows, never all
// the entries before it, as growing one slice would, again and again, in a
// journal that only grows. Every chunk but the last is full.
//
// An entry is kept compact (jentry): its texts but the key by their place
// in the journal's texts, its times as microseconds, its Seq as its place.
// A spend's entry then takes 72 bytes holding one pointer, where a
// storage.Entry takes 168 holding seven: less to copy, and less for the
// garbage collector to scan in a journal that only grows.
type journal struct {
	chunks [][]jentry
	n      int // entries in all
	names  texts
}

// jentry is a storage.Entry as a journal keeps it: Seq is its place plus
// one; member, action, grant and currency are places in the journal's
// names; the times are microseconds since the Unix epoch, in UTC, as the
// store keeps times (see ts).
type jentry struct {
	key                             string
	amount, period, time, expires   int64
	member, action, grant, currency uint32
	kind                            credits.Kind
}

// texts holds each text of a journal's entries once: a journal names few
// members, actions, lots and currencies, again and again.
type texts struct {
	list []string
	at   map[string]uint32
	// last is the place each field of the last entry named: most entries
	// name what the one before named.
	last [4]uint32
}

// place returns the place of v in ns, adding it if needed; field is
// which of an entry's texts v is, to try last's first.
func (ns *texts) place(field int, v string) uint32 {
	if i := ns.last[field]; int(i) < len(ns.list) && ns.list[i] == v {
		return i
	}
	i, ok := ns.at[v]
	if !ok {
		if ns.at == nil {
			ns.at = map[string]uint32{}
		}
		i = uint32(len(ns.list))
		ns.list = append(ns.list, v)
		ns.at[v] = i
	}
	ns.last[field] = i
	return i
}

func (j *journal) append(e storage.Entry) {
	if j.n == len(j.chunks)*journalChunk {
		// The first chunk grows as a slice does, so that a short journal
		// is small; the others are made full size.
		var c []jentry
		if j.n > 0 {
			c = make([]jentry, 0, journalChunk)
		}
		j.chunks = append(j.chunks, c)
	}
	last := &j.chunks[len(j.chunks)-1]
	*last = append(*last, jentry{
		key: e.Key, amount: e.Amount, period: e.Period,
		time: e.Time.UnixMicro(), expires: e.Expires.UnixMicro(), // ts'd by appendEntry
		member: j.names.place(0, e.Member), action: j.names.place(1, e.Action),
		grant: j.names.place(2, e.Grant), currency: j.names.place(3, e.Currency),
		kind: e.Kind,
	})
	j.n++
}

// entry returns the nth entry (0-based) as it was appended, but for Seq,
// which is n+1.
func (j *journal) entry(n int, c *jentry) storage.Entry {
	l := j.names.list
	return storage.Entry{Seq: int64(n) + 1, Entry: credits.Entry{
		Kind: c.kind, Currency: l[c.currency], Grant: l[c.grant], Amount: c.amount,
		Member: l[c.member], Action: l[c.action], Key: c.key, Period: c.period,
		Time: at(c.time), Expires: at(c.expires),
	}}
}

// truncate drops the entries from the nth on. The names they alone used
// stay: undoing an append leaves at most a few texts behind.
func (j *journal) truncate(n int) {
	keep := (n + journalChunk - 1) / journalChunk
	clear(j.chunks[keep:])
	j.chunks = j.chunks[:keep]
	if keep > 0 {
		last := &j.chunks[keep-1]
		cut := n - (keep-1)*journalChunk
		clear((*last)[cut:]) // drop what the cut entries point to
		*last = (*last)[:cut]
	}
	j.n = n
}

// read returns a copy of entries from to end (0-based, end excluded).
func (j *journal) read(from, end int) []storage.Entry {
	if from >= end {
		return nil
	}
	out := make([]storage.Entry, 0, end-from)
	for i := from; i < end; i++ {
		out = append(out, j.entry(i, &j.chunks[i/journalChunk][i%journalChunk]))
	}
	return out
}
