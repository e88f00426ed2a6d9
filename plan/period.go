package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the calendar unit of a Period.
type Unit uint8

// The units of a period.
const (
	Day Unit = iota + 1
	Week
	Month
	Year
)

var unitNames = [...]string{Day: "day", Week: "week", Month: "month", Year: "year"}

// String returns the unit's singular name.
func (u Unit) String() string {
	if int(u) < len(unitNames) && unitNames[u] != "" {
		return unitNames[u]
	}
	return "Unit(" + strconv.Itoa(int(u)) + ")"
}

// Period is a length of calendar time: N units. The zero value is no period.
type Period struct {
	N    int
	Unit Unit
}

// Monthly is the period of one month.
var Monthly = Period{N: 1, Unit: Month}

// ErrPeriod is returned by ParsePeriod for text that is not a period.
var ErrPeriod = errors.New(`plan: period must be "[N] day|week|month|year[s]"`)

// ParsePeriod parses "month", "1 month", "3 months", "7 days", "week", "year".
// N must be between 1 and 1000.
func ParsePeriod(s string) (Period, error) {
	f := strings.Fields(s)
	n := 1
	switch len(f) {
	case 1:
	case 2:
		var err error
		if n, err = strconv.Atoi(f[0]); err != nil || n < 1 || n > 1000 {
			return Period{}, fmt.Errorf("%w: bad count %q", ErrPeriod, f[0])
		}
		f = f[1:]
	default:
		return Period{}, fmt.Errorf("%w: got %q", ErrPeriod, s)
	}
	name := strings.TrimSuffix(strings.ToLower(f[0]), "s")
	for u, un := range unitNames {
		if un != "" && un == name {
			return Period{N: n, Unit: Unit(u)}, nil
		}
	}
	return Period{}, fmt.Errorf("%w: unknown unit %q", ErrPeriod, f[0])
}

// String formats p so that ParsePeriod reads it back: "1 month", "7 days".
func (p Period) String() string {
	if p.N == 1 {
		return "1 " + p.Unit.String()
	}
	return strconv.Itoa(p.N) + " " + p.Unit.String() + "s"
}

// IsZero reports whether p is the zero Period.
func (p Period) IsZero() bool { return p.N <= 0 || p.Unit == 0 }

// Boundary returns the start of period k (k >= 0, or negative for periods
// before the anchor) of a schedule anchored at anchor, in UTC. Month and year
// boundaries keep the anchor's day of month, clamped to the month's last day: a
// schedule anchored on January 31 has boundaries on February 28 (or 29), March
// 31, April 30. Clamping never accumulates.
func (p Period) Boundary(anchor time.Time, k int64) time.Time {
	a := anchor.UTC()
	n := int64(p.N)
	switch p.Unit {
	case Day:
		return a.AddDate(0, 0, int(k*n))
	case Week:
		return a.AddDate(0, 0, int(7*k*n))
	case Month, Year:
		months := k * n
		if p.Unit == Year {
			months *= 12
		}
		total := int64(a.Year())*12 + int64(a.Month()-1) + months
		y, m := int(total/12), time.Month(total%12+1)
		if total < 0 && total%12 != 0 {
			y, m = int(total/12)-1, time.Month(total%12+13)
		}
		d := min(a.Day(), daysIn(y, m))
		return time.Date(y, m, d, a.Hour(), a.Minute(), a.Second(), a.Nanosecond(), time.UTC)
	}
	return a
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Index returns the number k of the period that contains t:
// Boundary(anchor, k) <= t < Boundary(anchor, k+1). It panics if p is zero.
func (p Period) Index(anchor, t time.Time) int64 {
	if p.IsZero() {
		panic("plan: Index of zero Period")
	}
	a, t := anchor.UTC(), t.UTC()
	// Estimate k from the average length of a period, then correct: the
	// estimate is off by at most a few periods.
	var k int64
	switch p.Unit {
	case Day, Week:
		days := int64(p.N)
		if p.Unit == Week {
			days *= 7
		}
		k = int64(t.Sub(a) / (time.Duration(days) * 24 * time.Hour))
	case Month, Year:
		months := int64(p.N)
		if p.Unit == Year {
			months *= 12
		}
		diff := (int64(t.Year())-int64(a.Year()))*12 + int64(t.Month()) - int64(a.Month())
		k = diff / months
	}
	for p.Boundary(a, k).After(t) {
		k--
	}
	for !p.Boundary(a, k+1).After(t) {
		k++
	}
	return k
}

// Bounds returns the start and end of the period containing t.
func (p Period) Bounds(anchor, t time.Time) (start, end time.Time) {
	k := p.Index(anchor, t)
	return p.Boundary(anchor, k), p.Boundary(anchor, k+1)
}
