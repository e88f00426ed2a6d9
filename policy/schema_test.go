package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
	"pgregory.net/rapid"
)

func ExampleSchema() {
	var s struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Schema)
	// The first line of a policy file that editors then check and complete:
	fmt.Println("# yaml-language-server: $schema=" + s.ID)
	// Output:
	// https://json-schema.org/draft/2020-12/schema
	// # yaml-language-server: $schema=https://charterhq.github.io/charter/policy.schema.json
}

// compileSchema compiles Schema as the validator a test checks documents
// with. The compiler validates the schema against its draft's meta-schema.
func compileSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		tb.Fatalf("schema.json is not JSON: %v", err)
	}
	id, _ := doc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	if err := c.AddResource(id, doc); err != nil {
		tb.Fatalf("AddResource(%q): %v", id, err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		tb.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

// schemaDoc returns Schema decoded as plain JSON values.
func schemaDoc(tb testing.TB) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		tb.Fatalf("schema.json is not JSON: %v", err)
	}
	return doc
}

// jsonValue converts a YAML node to the JSON value an editor's YAML
// language server validates: mappings to objects, sequences to arrays, and
// scalars by their resolved tag (!!str to a string, !!int to a number,
// ...). It fails on what JSON cannot say: a key that is not a string, a
// duplicate key.
func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, errors.New("not one document")
		}
		return jsonValue(n.Content[0])
	case yaml.AliasNode:
		return jsonValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				return nil, fmt.Errorf("%d:%d: key is not a string", k.Line, k.Column)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("%d:%d: duplicate key %q", k.Line, k.Column, k.Value)
			}
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := jsonValue(c)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, err
			}
			return v, nil
		}
		return n.Value, nil // !!str, and !!timestamp and !!binary, which JSON has as strings
	}
	return nil, fmt.Errorf("%d:%d: unexpected YAML node kind %v", n.Line, n.Column, n.Kind)
}

// yamlJSON parses src as YAML and converts it with jsonValue.
func yamlJSON(src string) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, err
	}
	return jsonValue(&doc)
}

// validate reports how the schema judges the YAML document src.
func validate(tb testing.TB, sch *jsonschema.Schema, src string) error {
	tb.Helper()
	v, err := yamlJSON(src)
	if err != nil {
		tb.Fatalf("cannot convert to JSON: %v\n%s", err, src)
	}
	return sch.Validate(v)
}

// TestSchemaCompiles: the schema declares draft 2020-12 and compiles under
// it, which includes validating it against the draft's meta-schema.
func TestSchemaCompiles(t *testing.T) {
	sch := compileSchema(t)
	if sch.DraftVersion != 2020 {
		t.Errorf("DraftVersion = %d, want 2020", sch.DraftVersion)
	}
	doc := schemaDoc(t)
	if got, want := doc["$schema"], "https://json-schema.org/draft/2020-12/schema"; got != want {
		t.Errorf("$schema = %v, want %s", got, want)
	}
	if id, _ := doc["$id"].(string); !strings.HasPrefix(id, "https://") {
		t.Errorf("$id = %q, want an https URL", id)
	}
	if _, ok := doc["title"].(string); !ok {
		t.Errorf("schema has no title")
	}
	if s := Schema(); &s[0] == &schema[0] {
		t.Errorf("Schema returns the embedded bytes themselves, not a copy")
	}
}

// TestSchemaDescribesEveryProperty: editors show descriptions on hover, so
// every property of every object the schema declares has one.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	n := 0
	for _, o := range schemaObjects(schemaDoc(t), "#") {
		for name, p := range o.props {
			n++
			if d, _ := p.(map[string]any)["description"].(string); strings.TrimSpace(d) == "" {
				t.Errorf("%s/properties/%s has no description", o.at, name)
			}
		}
	}
	if n < 40 {
		t.Errorf("found %d properties; the walk over the schema is broken", n)
	}
}

// schemaPolicies returns the policy files of the repository: the shipped
// policies and the ones the Service's tests load.
func schemaPolicies(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, glob := range []string{"../testdata/policies/*.yaml", "../testdata/*.yaml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 5 {
		tb.Fatalf("found %d policy files, want the five shipped ones at least", len(files))
	}
	return files
}

// TestSchemaAcceptsShippedPolicies: every policy of the repository that
// loads, and the example of the package documentation, validate against
// the schema; every shipped one loads.
func TestSchemaAcceptsShippedPolicies(t *testing.T) {
	sch := compileSchema(t)
	t.Run("doc.go", func(t *testing.T) {
		src := string(docExample(t))
		if _, err := Load("doc.go", []byte(src)); err != nil {
			t.Fatalf("the example of doc.go does not load: %v", err)
		}
		if err := validate(t, sch, src); err != nil {
			t.Errorf("schema rejects the example of doc.go:\n%v", err)
		}
	})
	for _, file := range schemaPolicies(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Load(file, src); err != nil {
				if strings.Contains(file, "policies") {
					t.Fatalf("shipped policy does not load: %v", err)
				}
				t.Skipf("not a loadable policy: %v", err)
			}
			if err := validate(t, sch, string(src)); err != nil {
				t.Errorf("schema rejects a policy Load accepts:\n%v", err)
			}
		})
	}
}

// schemaBase is a valid policy that uses every section; the invalid cases
// edit it.
const schemaBase = `policy: demo
sharing: convert
features: [pro]
currencies:
  credits:
    description: Credits
    kinds: [shared]
roles:
  owner:
    owner: true
    admin: true
    spends: true
    rank: 100
    assigns: [member]
  member:
    rank: 10
actions:
  view:
    description: View
    scope: project
  generate:
    feature: pro
    kinds: [shared]
    cost: {credits: 1}
operations:
  invite: view
plans:
  free:
    default: true
    limits: {members: 3}
  pro:
    features: [pro]
    credits:
      credits: {amount: 100, every: month}
    seat_price: {amount: 1500, currency: USD, every: month}
permissions:
  view: [owner, member]
  generate: [owner]
`

// schemaInvalid is the table of documents both the schema and Load reject.
// kw is the keyword of the schema that rejects it (a JSON pointer into the
// schema); pos and msg are where and what one of Load's errors is.
func schemaInvalid(tb testing.TB) []struct{ name, src, kw, pos, msg string } {
	e := func(oldNew ...string) string { return edit(tb, schemaBase, oldNew...) }
	return []struct{ name, src, kw, pos, msg string }{
		{"unknown top-level field", schemaBase + "colour: blue\n",
			"/additionalProperties", "39:1", `unknown field "colour"`},
		{"unknown role field, a typo", e("    rank: 10\n", "    rnak: 10\n"),
			"/$defs/role/additionalProperties", "16:5", `unknown field "rnak"`},
		{"unknown action field", e("    description: View", "    label: View"),
			"/$defs/action/additionalProperties", "19:5", `unknown field "label"`},
		{"unknown plan field", e("    default: true", "    default: true\n    price: 10"),
			"/$defs/plan/additionalProperties", "30:5", `unknown field "price"`},
		{"unknown currency field", e("    description: Credits", "    description: Credits\n    symbol: C"),
			"/$defs/currency/additionalProperties", "7:5", `unknown field "symbol"`},
		{"unknown limit", e("{members: 3}", "{members: 3, projects: 5}"),
			"/$defs/plan/properties/limits/additionalProperties", "30:26", `unknown field "projects"`},
		{"unknown credits field", e("{amount: 100, every: month}", "{amount: 100, every: month, expires: never}"),
			"/$defs/grant/additionalProperties", "34:44", `unknown field "expires"`},
		{"unknown seat_price field", e("currency: USD,", "currency: USD, tax: 0,"),
			"/$defs/plan/properties/seat_price/additionalProperties", "35:47", `unknown field "tax"`},
		{"unknown operation", e("  invite: view", "  invite_admin: view"),
			"/properties/operations/additionalProperties", "26:3", `unknown operation "invite_admin"`},
		{"missing policy", e("policy: demo\n", ""),
			"/required", "1:1", `missing required field "policy"`},
		{"missing permissions", e("permissions:\n  view: [owner, member]\n  generate: [owner]\n", ""),
			"/required", "1:1", `missing required field "permissions"`},
		{"missing rank", e("    spends: true\n    rank: 100\n", "    spends: true\n"),
			"/$defs/role/required", "9:3", `missing required field "rank"`},
		{"missing credits every", e("{amount: 100, every: month}", "{amount: 100}"),
			"/$defs/grant/required", "34:7", `missing required field "every"`},
		{"missing seat_price currency", e("currency: USD, ", ""),
			"/$defs/plan/properties/seat_price/required", "35:17", `missing required field "currency"`},
		{"rank is a string", e("    rank: 10\n", "    rank: ten\n"),
			"/$defs/role/properties/rank/type", "16:11", "must be an integer"},
		{"yes is not a boolean", e("    spends: true", "    spends: yes"),
			"/$defs/role/properties/spends/type", "12:13", "must be true or false"},
		{"features is not a list", e("\nfeatures: [pro]", "\nfeatures: pro"),
			"/$defs/names/type", "3:11", "must be a sequence"},
		{"description is null", e("    description: View", "    description:"),
			"/$defs/text/type", "19:17", "must be a string"},
		{"role without a body", e("  member:\n    rank: 10", "  member:"),
			"/$defs/role/type", "15:10", "must be a mapping"},
		{"permission row is not a list", e("  view: [owner, member]", "  view: owner"),
			"/$defs/names/type", "37:9", "must be a sequence"},
		{"bad sharing", e("sharing: convert", "sharing: share"),
			"/properties/sharing/enum", "2:10", `sharing must be "deny" or "convert"`},
		{"bad scope", e("scope: project", "scope: team"),
			"/$defs/action/properties/scope/enum", "20:12", `scope must be "workspace" or "project"`},
		{"bad kind", e("    kinds: [shared]\n    cost", "    kinds: [team]\n    cost"),
			"/$defs/kinds/items/enum", "23:13", `unknown workspace kind "team"`},
		{"bad allowances", e("every: month}\n    seat", "every: month, allowances: always}\n    seat"),
			"/$defs/grant/properties/allowances/enum", "34:56", `allowances must be "optional" or "required"`},
		{"bad rollover", e("every: month}\n    seat", "every: month, rollover: some}\n    seat"),
			"/$defs/grant/properties/rollover/anyOf/0/enum", "34:54", `rollover must be "none", "all" or an integer cap >= 0`},
		{"bad period", e("{amount: 100, every: month}", "{amount: 100, every: fortnight}"),
			"/$defs/period/pattern", "34:37", `invalid period "fortnight"`},
		{"period of 1001", e("{amount: 100, every: month}", "{amount: 100, every: 1001 days}"),
			"/$defs/period/pattern", "34:37", `invalid period "1001 days"`},
		{"negative limit", e("{members: 3}", "{members: -1}"),
			"/$defs/limit/anyOf/0/minimum", "30:23", "must be at least 0"},
		{"limit over 32 bits", e("{members: 3}", "{members: 2147483648}"),
			"/$defs/limit/anyOf/0/maximum", "30:23", "must be between 0 and 2147483647"},
		{"limit is a word", e("{members: 3}", "{members: many}"),
			"/$defs/limit/anyOf/0/type", "30:23", `must be an integer >= 0 or "unlimited"`},
		{"negative rank", e("    rank: 10\n", "    rank: -5\n"),
			"/$defs/role/properties/rank/minimum", "16:11", "must be at least 0"},
		{"negative grant", e("{amount: 100,", "{amount: -100,"),
			"/$defs/amount/minimum", "34:25", "must be at least 0"},
		{"zero cost", e("{credits: 1}", "{credits: 0}"),
			"/$defs/action/properties/cost/additionalProperties/minimum", "24:21", "must be at least 1"},
		{"cost in two currencies", e("{credits: 1}", "{credits: 1, coins: 2}"),
			"/$defs/action/properties/cost/maxProperties", "24:11", "cost must name exactly one currency, got 2"},
		{"name starting with a digit", e("policy: demo", "policy: 2demo"),
			"/$defs/name/pattern", "1:9", `invalid name "2demo"`},
		{"name with a space", e("  view: [owner, member]", "  \"view all\": [owner, member]"),
			"/$defs/name/pattern", "37:3", `invalid name "view all"`},
		{"role listed twice", e("assigns: [member]", "assigns: [member, member]"),
			"/$defs/names/uniqueItems", "14:23", `"member" listed twice`},
		{"lower-case seat currency", e("currency: USD", "currency: usd"),
			"/$defs/plan/properties/seat_price/properties/currency/pattern", "35:42", "must be an ISO 4217 code"},
		{"empty kinds", e("    kinds: [shared]\n    cost", "    kinds: []\n    cost"),
			"/$defs/kinds/minItems", "23:12", "must name at least one workspace kind"},
		{"owner is a guest", e("    admin: true\n    spends", "    admin: true\n    guest: true\n    spends"),
			"/$defs/role/allOf/1/then/properties/owner/const", "12:12", `cannot be both guest and owner`},
		{"owner is not admin", e("    admin: true\n    spends", "    spends"),
			"/$defs/role/allOf/0/then/required", "9:3", `owner role "owner" must be admin`},
		{"no roles", e("roles:\n", "roles: {}\nx_roles:\n"),
			"/properties/roles/minProperties", "8:8", "roles must declare at least one role"},
		{"empty plan roles", e("    default: true", "    default: true\n    roles: []"),
			"/$defs/plan/properties/roles/minItems", "30:12", "roles must include the owner role"},
		{"more than 64 features", e("\nfeatures: [pro]", "\nfeatures: [pro"+featureNames(64)+"]"),
			"/properties/features/maxItems", "3:", "more than 64 features"},
	}
}

// TestSchemaRejectsInvalid: each invalid document is rejected by the
// schema, by the keyword that says why, and by Load, whose error names file:line:col.
func TestSchemaRejectsInvalid(t *testing.T) {
	sch := compileSchema(t)
	if _, err := Load("base.yaml", []byte(schemaBase)); err != nil {
		t.Fatalf("schemaBase does not load: %v", err)
	}
	if err := validate(t, sch, schemaBase); err != nil {
		t.Fatalf("schema rejects schemaBase: %v", err)
	}
	for _, tt := range schemaInvalid(t) {
		t.Run(tt.name, func(t *testing.T) {
			err := validate(t, sch, tt.src)
			var verr *jsonschema.ValidationError
			if !errors.As(err, &verr) {
				t.Errorf("schema accepts it (err = %v)", err)
			} else if locs := keywordLocations(verr); !slices.Contains(locs, tt.kw) {
				t.Errorf("schema rejects it by %q, want %q:\n%v", locs, tt.kw, err)
			}
			_, err = Load("bad.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Load accepts it")
			}
			want := "bad.yaml:" + tt.pos
			found := false
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if strings.Contains(line, want) && strings.Contains(line, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("Load error:\n%v\nwant a line with %q and %q", err, want, tt.msg)
			}
		})
	}
}

// TestSchemaAcceptsValid: variants that use every value of every enum, every
// form of a limit, rollover and period, and empty bodies, are accepted by
// both the schema and Load.
func TestSchemaAcceptsValid(t *testing.T) {
	sch := compileSchema(t)
	e := func(oldNew ...string) string { return edit(t, schemaBase, oldNew...) }
	for _, tt := range []struct{ name, src string }{
		{"base", schemaBase},
		{"sharing deny", e("sharing: convert", "sharing: deny")},
		{"no sharing, features, currencies or operations", e(
			"sharing: convert\nfeatures: [pro]\n", "", "    feature: pro\n", "",
			"currencies:\n  credits:\n    description: Credits\n    kinds: [shared]\n", "",
			"    cost: {credits: 1}\n", "", "operations:\n  invite: view\n", "",
			"    features: [pro]\n    credits:\n      credits: {amount: 100, every: month}\n", "")},
		{"empty bodies", e(
			"  credits:\n    description: Credits\n    kinds: [shared]\n", "  credits:\n",
			"    kinds: [shared]\n    cost", "    cost",
			"  view:\n    description: View\n    scope: project\n", "  view: {}\n",
			"    default: true\n    limits: {members: 3}\n", "")},
		{"scope workspace, both kinds", e("scope: project", "scope: workspace",
			"    kinds: [shared]\n    cost", "    kinds: [personal, shared]\n    billing: false\n    cost",
			"    kinds: [shared]\nroles", "    kinds: [shared, personal]\nroles")},
		{"every limit, each form", e("{members: 3}", "{members: 0, seats: unlimited, guests: 2147483647, shared_workspaces: 1}")},
		{"currency initial", e("    kinds: [shared]\nroles", "    kinds: [shared]\n    initial: 9223372036854775807\nroles")},
		{"rollover all, allowances required", e("every: month}\n    seat", "every: month, rollover: all, allowances: required}\n    seat")},
		{"rollover none, allowances optional", e("every: month}\n    seat", "every: month, rollover: none, allowances: optional}\n    seat")},
		{"rollover cap", e("every: month}\n    seat", "every: month, rollover: 0}\n    seat")},
		{"periods", e("{amount: 100, every: month}", "{amount: 0, every: 7 days}",
			"USD, every: month}", "USD, every: 1000 YEARS}")},
		{"more periods", e("{amount: 100, every: month}", "{amount: 0, every: \" +02  Weeks \"}",
			"USD, every: month}", "USD, every: 1 day}")},
		{"role flags, ranks and guests", e("  member:\n    rank: 10\n",
			"  member:\n    description: A member\n    owner: false\n    admin: false\n    guest: true\n    seat: false\n    spends: false\n    rank: 0\n    assigns: []\n")},
		{"every plan field", e("    default: true\n    limits: {members: 3}\n",
			"    description: Free\n    default: false\n    features: []\n    roles: [owner, member]\n    invite_role: member\n    link_role: member\n    limits: {}\n    credits: {}\n")},
		{"every operation", e("  invite: view\n", "  invite: view\n  invite_guest: view\n  remove: view\n  change_role: view\n"+
			"  transfer_ownership: view\n  delete_workspace: view\n  change_plan: view\n  update_settings: view\n"+
			"  fund_credits: view\n  set_allowance: view\n  view_spend: view\n  manage_coins: view\n")},
		{"names with digits, dots and dashes", e("policy: demo", "policy: Demo-2.0_x")},
		{"64 features", e("\nfeatures: [pro]", "\nfeatures: [pro"+featureNames(63)+"]")},
		{"cost of 64 bits", e("{credits: 1}", "{credits: 9223372036854775807}")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load("ok.yaml", []byte(tt.src)); err != nil {
				t.Fatalf("Load rejects it: %v\n%s", err, tt.src)
			}
			if err := validate(t, sch, tt.src); err != nil {
				t.Errorf("schema rejects it: %v\n%s", err, tt.src)
			}
		})
	}
}

// featureNames returns ", f1, f2, ..., fn".
func featureNames(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ", f%d", i+1)
	}
	return b.String()
}

// A schemaObject is a subschema that declares properties.
type schemaObject struct {
	at       string // its location in the schema, a JSON pointer
	props    map[string]any
	required []string
	strict   bool // additionalProperties: false
	nullable bool // type includes "null": the declaration may be empty
}

// schemaObjects walks the schema from v, at location at, and returns every
// subschema that declares properties, except within the conditions of
// if/then/else and not, which restate properties already declared.
func schemaObjects(v any, at string) []schemaObject {
	var objs []schemaObject
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			o := schemaObject{at: at, props: props, strict: v["additionalProperties"] == false}
			for _, r := range asSlice(v["required"]) {
				o.required = append(o.required, r.(string))
			}
			o.nullable = slices.Contains(asSlice(v["type"]), any("null"))
			objs = append(objs, o)
		}
		for k, c := range v {
			switch k {
			case "if", "then", "else", "not", "const", "enum", "default", "examples":
				continue
			}
			objs = append(objs, schemaObjects(c, at+"/"+k)...)
		}
	case []any:
		for i, c := range v {
			objs = append(objs, schemaObjects(c, at+"/"+strconv.Itoa(i))...)
		}
	}
	return objs
}

func asSlice(v any) []any {
	if s, ok := v.([]any); ok {
		return s
	}
	return nil
}

// A decoderList is a list of field names the decoder passes to one of its
// helpers: fields, body (which also takes an empty value) or required.
type decoderList struct {
	fn    string
	names []string
	pos   token.Position
}

// decoderLists finds, in the package's source, every call of the decoder's
// fields, body and required helpers and the field names it passes: the
// string literals after the first three arguments, or a []string variable
// spread into them.
func decoderLists(tb testing.TB) []decoderList {
	tb.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	paths, err := filepath.Glob("*.go")
	if err != nil {
		tb.Fatal(err)
	}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, f)
	}
	strs := func(exprs []ast.Expr) ([]string, bool) {
		var out []string
		for _, e := range exprs {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return nil, false
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	vars := map[string][]string{} // package-level var x = []string{...}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, v := range vs.Values {
					if cl, ok := v.(*ast.CompositeLit); ok && i < len(vs.Names) {
						if names, ok := strs(cl.Elts); ok {
							vars[vs.Names[i].Name] = names
						}
					}
				}
			}
		}
	}
	var lists []decoderList
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			params := map[string]bool{} // a helper forwarding its own parameter
			for _, p := range fd.Type.Params.List {
				for _, n := range p.Names {
					params[n.Name] = true
				}
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 4 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "fields" && sel.Sel.Name != "body" && sel.Sel.Name != "required" {
					return true
				}
				rest := call.Args[3:]
				names, ok := strs(rest)
				if !ok && call.Ellipsis.IsValid() && len(rest) == 1 {
					if id, isID := rest[0].(*ast.Ident); isID {
						if params[id.Name] {
							return true
						}
						names, ok = vars[id.Name]
					}
				}
				if !ok {
					tb.Errorf("%s: %s called with field names this test cannot read; update decoderLists",
						fset.Position(call.Pos()), sel.Sel.Name)
					return true
				}
				lists = append(lists, decoderList{sel.Sel.Name, names, fset.Position(call.Pos())})
				return true
			})
		}
	}
	return lists
}

func nameSet(names []string) string {
	s := slices.Clone(names)
	slices.Sort(s)
	return strings.Join(s, " ")
}

// TestSchemaMatchesDecoder fails when the schema and the decoder drift: each
// list of fields the decoder accepts is the property list of exactly one
// strict object of the schema, and the other way round; a declaration the
// decoder lets be empty is nullable in the schema and no other is; the
// required lists agree; and the operations are the package's Ops.
func TestSchemaMatchesDecoder(t *testing.T) {
	doc := schemaDoc(t)
	const opsAt = "#/properties/operations"
	strict := map[string]schemaObject{} // by property set
	schemaRequired := map[string]bool{}
	for _, o := range schemaObjects(doc, "#") {
		if !o.strict {
			t.Errorf("%s declares properties but allows others; the loader is strict", o.at)
		}
		if o.at == opsAt {
			continue
		}
		set := nameSet(slices.Collect(maps.Keys(o.props)))
		if prev, dup := strict[set]; dup {
			t.Errorf("%s and %s declare the same properties", prev.at, o.at)
		}
		strict[set] = o
		if len(o.required) > 0 {
			schemaRequired[nameSet(o.required)] = true
		}
	}

	lists := decoderLists(t)
	decoded := map[string]bool{}
	decoderRequired := map[string]bool{}
	for _, l := range lists {
		set := nameSet(l.names)
		if l.fn == "required" {
			decoderRequired[set] = true
			continue
		}
		decoded[set] = true
		o, ok := strict[set]
		if !ok {
			t.Errorf("%s: the decoder accepts fields [%s], which no object of the schema declares", l.pos, set)
			continue
		}
		if nullable := l.fn == "body"; o.nullable != nullable {
			t.Errorf("%s: %s: schema nullable = %t, decoder takes an empty value = %t", l.pos, o.at, o.nullable, nullable)
		}
	}
	if len(decoded) < 8 {
		t.Fatalf("found %d lists of fields in the decoder, want 8 at least; update decoderLists", len(decoded))
	}
	for set, o := range strict {
		if !decoded[set] {
			t.Errorf("%s declares [%s], which the decoder does not accept", o.at, set)
		}
	}
	if got, want := slices.Sorted(maps.Keys(schemaRequired)), slices.Sorted(maps.Keys(decoderRequired)); !slices.Equal(got, want) {
		t.Errorf("required lists: schema %q, decoder %q", got, want)
	}

	var ops []string
	for _, op := range Ops() {
		ops = append(ops, op.String())
	}
	props := doc["properties"].(map[string]any)["operations"].(map[string]any)["properties"].(map[string]any)
	if got, want := nameSet(slices.Collect(maps.Keys(props))), nameSet(ops); got != want {
		t.Errorf("schema operations [%s], want Ops [%s]", got, want)
	}
}

// TestSchemaNeverStricterThanLoad: a policy Load accepts is valid under the
// schema, so an editor never flags a working policy. The policies are
// generated ones and the shipped ones, each mutated up to twice: a value
// replaced by another scalar, a sequence, a mapping or nothing, an entry
// removed, added or renamed with a field name of the schema.
func TestSchemaNeverStricterThanLoad(t *testing.T) {
	sch := compileSchema(t)
	var shipped []string
	for _, file := range schemaPolicies(t) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Load(file, src); err == nil {
			shipped = append(shipped, string(src))
		}
	}
	var words []string
	for _, o := range schemaObjects(schemaDoc(t), "#") {
		words = append(words, slices.Collect(maps.Keys(o.props))...)
	}
	slices.Sort(words)
	words = append(slices.Compact(words), "owner", "member", "credits", "pro", "x")
	scalars := []string{"0", "1", "-1", "2147483647", "2147483648", "9223372036854775807", "1.5",
		"true", "false", "yes", "null", "~", "x", "2x", "owner", "unlimited", "none", "all",
		"personal", "shared", "project", "workspace", "deny", "convert", "optional", "required",
		"month", "7 days", "1001 days", "USD", "usd", "2026-01-01", `""`}
	loaded, total := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		var src string
		if rapid.Bool().Draw(t, "generated") {
			src = genPolicy(t).render(t)
		} else {
			src = rapid.SampledFrom(shipped).Draw(t, "shipped")
		}
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("policy does not parse: %v", err)
		}
		for range rapid.IntRange(0, 2).Draw(t, "mutations") {
			mutate(t, &doc, words, scalars)
		}
		out, err := yaml.Marshal(&doc)
		if err != nil {
			t.Fatalf("yaml.Marshal: %v", err)
		}
		total++
		if _, err := Load("m.yaml", out); err != nil {
			return
		}
		loaded++
		v, err := yamlJSON(string(out))
		if err != nil {
			t.Fatalf("Load accepts what JSON cannot say (%v):\n%s", err, out)
		}
		if err := sch.Validate(v); err != nil {
			t.Fatalf("Load accepts it, the schema rejects it: %v\n%s", err, out)
		}
	})
	t.Logf("%d of %d mutated policies loaded, and validated", loaded, total)
	if loaded == 0 {
		t.Errorf("no mutated policy loaded: the property tested nothing")
	}
}

// mutate changes one node of the tree under doc.
func mutate(t *rapid.T, doc *yaml.Node, words, values []string) {
	var nodes, scalars, maps []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		nodes = append(nodes, n)
		switch n.Kind {
		case yaml.MappingNode:
			maps = append(maps, n)
		case yaml.ScalarNode:
			scalars = append(scalars, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc.Content[0])
	op := rapid.IntRange(0, 4).Draw(t, "mutation")
	if len(maps) == 0 && op != 4 || len(scalars) == 0 && op == 4 {
		op = 0
	}
	pick := func() *yaml.Node { return maps[rapid.IntRange(0, len(maps)-1).Draw(t, "map")] }
	switch op {
	case 4: // replace a scalar by another
		n := scalars[rapid.IntRange(0, len(scalars)-1).Draw(t, "scalar node")]
		*n = *scalar(rapid.SampledFrom(values).Draw(t, "scalar"))
	case 0: // replace a value
		n := nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "node")]
		switch rapid.IntRange(0, 4).Draw(t, "with") {
		case 0:
			*n = yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		case 1:
			*n = yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		case 2:
			*n = yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle,
				Content: []*yaml.Node{scalar(rapid.SampledFrom(values).Draw(t, "item"))}}
		default:
			*n = *scalar(rapid.SampledFrom(values).Draw(t, "scalar"))
		}
	case 1: // remove an entry
		m := pick()
		if len(m.Content) >= 2 {
			i := 2 * rapid.IntRange(0, len(m.Content)/2-1).Draw(t, "entry")
			m.Content = slices.Delete(m.Content, i, i+2)
		}
	case 2: // add an entry
		m := pick()
		m.Content = append(m.Content, scalar(rapid.SampledFrom(words).Draw(t, "key")),
			scalar(rapid.SampledFrom(values).Draw(t, "value")))
	default: // rename a key
		m := pick()
		if len(m.Content) >= 2 {
			i := 2 * rapid.IntRange(0, len(m.Content)/2-1).Draw(t, "entry")
			*m.Content[i] = *scalar(rapid.SampledFrom(words).Draw(t, "key"))
		}
	}
}

// scalar returns a plain scalar node, its tag resolved from s as a parser
// would resolve it.
func scalar(s string) *yaml.Node {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err == nil && len(n.Content) == 1 {
		c := n.Content[0]
		c.Line, c.Column = 0, 0
		return c
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

// keywordLocations lists the keyword locations, as JSON pointers into the
// schema, of the leaf errors under err, e.g. "/$defs/role/required".
func keywordLocations(err *jsonschema.ValidationError) []string {
	var locs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			_, frag, _ := strings.Cut(e.SchemaURL, "#")
			for _, tok := range e.ErrorKind.KeywordPath() {
				frag += "/" + tok
			}
			locs = append(locs, frag)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(err)
	return locs
}
