package memory

import (
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// journal is one pool's journal, its entries in chunks (see chunked): an
// append copies at most the first chunk's entries, as it grows, never all
// the entries before it.
//
// An entry is kept compact (jentry): its texts but the key by their place
// in the journal's texts, its times as microseconds, its Seq as its place.
// A spend's entry then takes 72 bytes holding one pointer, where a
// storage.Entry takes 168 holding seven: less to copy, and less for the
// garbage collector to scan in a journal that only grows.
type journal struct {
	chunked[jentry]
	names texts
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

// append adds e to the journal. Undoing it is truncate (chunked's): the
// names only the dropped entries used stay, a few texts at most.
func (j *journal) append(e storage.Entry) {
	j.push(jentry{
		key: e.Key, amount: e.Amount, period: e.Period,
		time: e.Time.UnixMicro(), expires: e.Expires.UnixMicro(), // ts'd by appendEntry
		member: j.names.place(0, e.Member), action: j.names.place(1, e.Action),
		grant: j.names.place(2, e.Grant), currency: j.names.place(3, e.Currency),
		kind: e.Kind,
	})
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

// read returns a copy of entries from to end (0-based, end excluded).
func (j *journal) read(from, end int) []storage.Entry {
	if from >= end {
		return nil
	}
	out := make([]storage.Entry, 0, end-from)
	for i := from; i < end; i++ {
		out = append(out, j.entry(i, j.at(i)))
	}
	return out
}
