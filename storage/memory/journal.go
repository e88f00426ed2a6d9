package memory

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// journal is one pool's journal, its entries in chunks (see chunked): an
// append copies at most the first chunk's entries, as it grows, never all
// the entries before it.
//
// An entry is kept compact (jentry): its texts but the key by their place
// in the journal's texts, its times as microseconds, its Seq as its place,
// and what most entries share with others beside it: the journal's
// currency, and each lot's expiry by the lot (an entry says only whether
// it has its lot's expiry or none). A spend's entry then takes
// 48 bytes holding one pointer, where a storage.Entry takes 168 holding
// seven: less to copy, and less for the garbage collector to scan in a
// journal that only grows.
type journal struct {
	chunked[jentry]
	names texts
	// currency is the place of the currency of the journal's first
	// entry, which its pool's entries all have (SaveLedger checks it).
	currency uint32
	// expires holds each lot's expiry, by the place of its name, as the
	// first entry of the lot with an expiry gave it; unset for a place no
	// such entry named. A lot's expiry does not change, and the entries
	// of a lot name either it (a grant, top-up or spend) or none (a
	// refund or an expiry may).
	expires []lotExpiry
	// wide holds the entries that do not fit a jentry, by place: of
	// another currency, of an expiry neither their lot's nor none, of a
	// period outside int32 or a Kind past 15. None of charter's are.
	wide []wideEntry
}

// jentry is a storage.Entry as a journal keeps it: Seq is its place plus
// one; member and action are places in the journal's names, and lot is
// the place of the lot's name with the Kind in its top four bits and,
// below them, a bit set when the entry has no expiry; the currency is the
// journal's and the expiry, but for that bit, the lot's; the time is
// microseconds since the Unix epoch, in UTC, as the store keeps times (see
// ts). An entry whose period is wideMark has its fields in the journal's
// wide.
type jentry struct {
	key            string
	amount, time   int64
	period         int32
	member, action uint32
	lot            uint32
}

// wideMark is the period of a jentry whose fields are in journal.wide.
const wideMark = math.MinInt32

// kindShift places a Kind in a jentry's lot, and noExpiry marks one
// with no expiry; placeMask is what is left for the lot's place.
const (
	kindShift = 28
	noExpiry  = 1 << 27
	placeMask = noExpiry - 1
)

// zeroMicros is the zero time in microseconds, as ts keeps it.
var zeroMicros = time.Time{}.UnixMicro()

// lotExpiry is a lot's expiry as microseconds, and whether it is set.
type lotExpiry struct {
	us  int64
	set bool
}

// wideEntry is what a jentry holds of an entry it does not fit, at its
// place in the journal.
type wideEntry struct {
	at            int
	period        int64
	expires       int64
	kind          credits.Kind
	lot, currency uint32
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

// append adds e to the journal as its next entry. Undoing it is
// truncate. Its times are kept in microseconds (UnixMicro), which a time
// and the same time as ts keeps it give alike.
func (j *journal) append(e *credits.Entry) {
	lot, currency := j.names.place(2, e.Grant), j.names.place(3, e.Currency)
	if j.n == 0 {
		j.currency = currency
	}
	expires := e.Expires.UnixMicro()
	fits := lot <= placeMask
	v := jentry{
		key: e.Key, amount: e.Amount, time: e.Time.UnixMicro(), period: int32(e.Period),
		member: j.names.place(0, e.Member), action: j.names.place(1, e.Action),
		lot: uint32(e.Kind)<<kindShift | lot,
	}
	if expires == zeroMicros {
		v.lot |= noExpiry
	} else if fits {
		if int(lot) >= len(j.expires) {
			j.expires = append(j.expires, make([]lotExpiry, int(lot)+1-len(j.expires))...)
		}
		x := &j.expires[lot]
		if !x.set {
			*x = lotExpiry{us: expires, set: true}
		}
		fits = x.us == expires
	}
	if !fits || currency != j.currency || int64(v.period) != e.Period || v.period == wideMark || e.Kind > 15 {
		j.wide = append(j.wide, wideEntry{at: j.n, period: e.Period, expires: expires, kind: e.Kind, lot: lot, currency: currency})
		v.period, v.lot = wideMark, 0
	}
	j.push(v)
}

// truncate drops the entries from the nth on (an append undone), and what
// wide holds of them. The names and lot expiries only they gave stay: a
// few at most. An entry appended later whose lot has another expiry than
// the one kept goes to wide, as any such entry does.
func (j *journal) truncate(n int) {
	w := len(j.wide)
	for w > 0 && j.wide[w-1].at >= n {
		w--
	}
	clear(j.wide[w:])
	j.wide = j.wide[:w]
	j.chunked.truncate(n)
}

// entry returns the nth entry (0-based) as it was appended, but for Seq,
// which is n+1.
func (j *journal) entry(n int, c *jentry) storage.Entry {
	l := j.names.list
	kind, lot, currency := credits.Kind(c.lot>>kindShift), c.lot&placeMask, j.currency
	period, expires := int64(c.period), zeroMicros
	switch {
	case c.period == wideMark:
		i, _ := slices.BinarySearchFunc(j.wide, n, func(w wideEntry, n int) int { return cmp.Compare(w.at, n) })
		w := &j.wide[i]
		kind, lot, currency, period, expires = w.kind, w.lot, w.currency, w.period, w.expires
	case c.lot&noExpiry == 0:
		expires = j.expires[lot].us
	}
	return storage.Entry{Seq: int64(n) + 1, Entry: credits.Entry{
		Kind: kind, Currency: l[currency], Grant: l[lot], Amount: c.amount,
		Member: l[c.member], Action: l[c.action], Key: c.key, Period: period,
		Time: at(c.time), Expires: at(expires),
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
