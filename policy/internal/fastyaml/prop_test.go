package fastyaml

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// doc writes random documents of the subset's shapes. With tricky set, its
// scalars also draw on characters that YAML treats specially, so that some
// documents fall outside the subset, or outside YAML.
type doc struct {
	t      *rapid.T
	b      strings.Builder
	tricky bool
}

func (d *doc) word(label string, flow bool) string {
	first := "abcXYZ_019"
	rest := "abz_09 ()/+=é"
	if !flow {
		rest += ",[]{}"
	}
	if d.tricky {
		first += "-?.~'\"&*!|>%@`<#:"
		rest += ":#'\"-\\&*!?%@|>`~<="
	}
	n := rapid.IntRange(0, 8).Draw(d.t, label+"-len")
	w := string(rapid.SampledFrom([]rune(first)).Draw(d.t, label+"-first"))
	for range n {
		w += string(rapid.SampledFrom([]rune(rest)).Draw(d.t, label+"-rune"))
	}
	return strings.TrimRight(w, " ")
}

func (d *doc) spaces(label string) string {
	return strings.Repeat(" ", rapid.IntRange(0, 2).Draw(d.t, label))
}

// scalar writes a scalar: plain, single- or double-quoted.
func (d *doc) scalar(flow bool) {
	switch rapid.IntRange(0, 5).Draw(d.t, "style") {
	case 0:
		d.b.WriteString("'" + strings.ReplaceAll(d.word("sq", false), "'", "''") + "'")
	case 1:
		d.b.WriteString(`"` + strings.NewReplacer(`"`, "", `\`, "").Replace(d.word("dq", false)) + `"`)
	default:
		d.b.WriteString(d.word("plain", flow))
	}
}

// flowValue writes a scalar or, depth allowing, a flow collection.
func (d *doc) flowValue(depth int) {
	kind := 0
	if depth < 2 {
		kind = rapid.IntRange(0, 2).Draw(d.t, "flow-kind")
	}
	switch kind {
	case 0:
		d.scalar(true)
	case 1:
		d.b.WriteString("[" + d.spaces("sp"))
		for i := range rapid.IntRange(0, 3).Draw(d.t, "items") {
			if i > 0 {
				d.b.WriteString("," + d.spaces("sp") + " ")
			}
			d.flowValue(depth + 1)
			d.b.WriteString(d.spaces("sp"))
		}
		d.b.WriteString("]")
	case 2:
		d.b.WriteString("{" + d.spaces("sp"))
		for i := range rapid.IntRange(0, 3).Draw(d.t, "entries") {
			if i > 0 {
				d.b.WriteString("," + d.spaces("sp") + " ")
			}
			d.b.WriteString(d.word("fkey", true) + ": ")
			d.flowValue(depth + 1)
			d.b.WriteString(d.spaces("sp"))
		}
		d.b.WriteString("}")
	}
}

// end ends a line, maybe with a comment, maybe with blank or comment lines
// after it.
func (d *doc) end() {
	if rapid.Bool().Draw(d.t, "comment") {
		d.b.WriteString(" " + d.spaces("sp") + "# note: [x] — é")
	}
	d.b.WriteString("\n")
	for range rapid.IntRange(0, 1).Draw(d.t, "blank") {
		d.b.WriteString(d.spaces("sp") + "\n")
	}
}

// mapping writes a block mapping at indent.
func (d *doc) mapping(indent, depth int) {
	pad := strings.Repeat(" ", indent)
	for range rapid.IntRange(1, 4).Draw(d.t, "keys") {
		d.b.WriteString(pad + d.word("key", false) + ":")
		kind := 0
		if depth < 3 {
			kind = rapid.IntRange(0, 2).Draw(d.t, "value-kind")
		}
		switch kind {
		case 0:
			d.b.WriteString(" " + d.spaces("sp"))
			d.flowValue(0)
			d.end()
		case 1:
			d.end()
			d.mapping(indent+rapid.IntRange(1, 4).Draw(d.t, "indent"), depth+1)
		case 2:
			d.end()
			in := pad + strings.Repeat(" ", rapid.IntRange(0, 3).Draw(d.t, "seq-indent"))
			for range rapid.IntRange(1, 3).Draw(d.t, "items") {
				d.b.WriteString(in + "- " + d.spaces("sp"))
				d.flowValue(0)
				d.end()
			}
		}
	}
}

// TestGeneratedSubset writes documents of the subset: Parse must accept
// each and agree with yaml.v3.
func TestGeneratedSubset(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		d := &doc{t: rt}
		d.mapping(0, 0)
		src := []byte(d.b.String())
		if _, ok := Parse(src); !ok {
			rt.Fatalf("outside the subset:\n%s", src)
		}
		check(rt, src)
	})
}

// TestGeneratedTricky writes documents with characters YAML treats
// specially: whatever Parse accepts, yaml.v3 must parse the same.
func TestGeneratedTricky(t *testing.T) {
	accepted := 0
	rapid.Check(t, func(rt *rapid.T) {
		d := &doc{t: rt, tricky: true}
		d.mapping(0, 0)
		if check(rt, []byte(d.b.String())) {
			accepted++
		}
	})
	if accepted == 0 {
		t.Errorf("Parse accepted none of the tricky documents")
	}
}
