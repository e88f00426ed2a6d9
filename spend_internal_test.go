package charter

import (
	"reflect"
	"testing"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
	"pgregory.net/rapid"
)

// TestPeriodIndex: periodIndex, which remembers the last period it found,
// answers what plan.Period.Index does, for times inside, on and around
// the remembered period's bounds, and for other anchors and schedules.
func TestPeriodIndex(t *testing.T) {
	base := time.Date(2024, 1, 31, 9, 30, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		every := plan.Period{
			N:    rapid.IntRange(1, 3).Draw(t, "n"),
			Unit: rapid.SampledFrom([]plan.Unit{plan.Day, plan.Week, plan.Month, plan.Year}).Draw(t, "unit"),
		}
		anchor := base.Add(time.Duration(rapid.Int64Range(0, 400*24).Draw(t, "anchor hours")) * time.Hour)
		for i := range rapid.IntRange(1, 20).Draw(t, "queries") {
			now := anchor.Add(time.Duration(rapid.Int64Range(0, 3*366*24*3600).Draw(t, "now seconds")) * time.Second)
			if rapid.Bool().Draw(t, "on a bound") {
				now = every.Boundary(anchor, every.Index(anchor, now)+rapid.Int64Range(-1, 1).Draw(t, "bound"))
				now = now.Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "ns")))
			}
			if got, want := periodIndex(every, anchor, now), every.Index(anchor, now); got != want {
				t.Fatalf("query %d: periodIndex(%v, %v, %v) = %d, Index gives %d", i, every, anchor, now, got, want)
			}
		}
	})
}

// TestPeriodIndexMixed: periodIndex answers what plan.Period.Index does
// when queries of several schedules and anchors take turns, so that the
// period it remembers is often another schedule's or another anchor's:
// it must tell them apart, whatever zone an anchor is given in.
func TestPeriodIndexMixed(t *testing.T) {
	base := time.Date(2024, 1, 31, 9, 30, 0, 0, time.UTC)
	east := time.FixedZone("east", 5*3600)
	rapid.Check(t, func(t *rapid.T) {
		type schedule struct {
			every  plan.Period
			anchor time.Time
		}
		var ss []schedule
		for range rapid.IntRange(2, 4).Draw(t, "schedules") {
			every := plan.Period{
				N:    rapid.IntRange(1, 2).Draw(t, "n"),
				Unit: rapid.SampledFrom([]plan.Unit{plan.Day, plan.Week, plan.Month}).Draw(t, "unit"),
			}
			anchor := base.Add(time.Duration(rapid.Int64Range(0, 3).Draw(t, "anchor days")) * 24 * time.Hour)
			if rapid.Bool().Draw(t, "anchor in another zone") {
				anchor = anchor.In(east)
			}
			ss = append(ss, schedule{every, anchor})
		}
		for i := range rapid.IntRange(1, 40).Draw(t, "queries") {
			s := ss[rapid.IntRange(0, len(ss)-1).Draw(t, "schedule")]
			now := base.Add(time.Duration(rapid.Int64Range(0, 90*24).Draw(t, "now hours")) * time.Hour)
			if got, want := periodIndex(s.every, s.anchor, now), s.every.Index(s.anchor, now); got != want {
				t.Fatalf("query %d: periodIndex(%v, %v, %v) = %d, Index gives %d", i, s.every, s.anchor, now, got, want)
			}
		}
	})
}

// TestSpendFingerprintReuse: a keyedCall's remembered fingerprint is
// that of the spend asked for, whatever it was asked before.
func TestSpendFingerprintReuse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := &keyedCall{}
		for i := range rapid.IntRange(1, 10).Draw(t, "spends") {
			actor := rapid.SampledFrom([]string{"a", "b", "ab"}).Draw(t, "actor")
			action := rapid.SampledFrom([]string{"x", "y", "bx"}).Draw(t, "action")
			o := SpendOptions{Project: rapid.SampledFrom([]string{"", "p"}).Draw(t, "project"), Request: rapid.SampledFrom([]string{"", "r"}).Draw(t, "request")}
			got := c.spendFingerprint(actor, action, o)
			if want := spendFingerprint(actor, action, o); got != string(want[:]) {
				t.Fatalf("spend %d (%s, %s, %+v): fingerprint %.8s, want %.8s", i, actor, action, o, got, want[:8])
			}
		}
	})
}

// TestHeaderIntoOverwrites: headerInto writes every exported field of the
// workspace it fills, as the literal it replaced did: a keyed call's room
// that held another workspace's header (every exported field set) holds
// after it exactly what headerValue makes of the new header. A field
// added to workspace.Workspace and not to headerInto fails it.
func TestHeaderIntoOverwrites(t *testing.T) {
	s := gateService(t)
	var w workspace.Workspace
	v := reflect.ValueOf(&w).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString("old")
		case reflect.Int, reflect.Int64:
			f.SetInt(7)
		case reflect.Uint8:
			f.SetUint(7)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Map:
			f.Set(reflect.MakeMapWithSize(f.Type(), 1))
			f.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)))
				continue
			}
			for j := range f.NumField() {
				if g := f.Field(j); g.Kind() == reflect.Bool && g.CanSet() {
					g.SetBool(true)
				}
			}
		default:
			t.Fatalf("field %s of kind %s: teach this test to set it", v.Type().Field(i).Name, f.Kind())
		}
	}
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() && v.Field(i).IsZero() {
			t.Fatalf("field %s left zero: teach this test to set it", v.Type().Field(i).Name)
		}
	}
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	h := storage.Workspace{ID: "ws-1", Kind: workspace.Shared, Plan: "free", Owner: "ann", Created: now, Anchor: now, Version: 3}
	s.headerInto(&w, &h)
	if want := s.headerValue(&h); !reflect.DeepEqual(w, want) {
		t.Errorf("headerInto over another header gave\n%+v\nwant\n%+v", w, want)
	}
}
