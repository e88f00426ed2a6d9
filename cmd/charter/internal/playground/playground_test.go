package playground

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter/cmd/charter/internal/explain"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/testdata/policies"
)

// shipped returns the text of a shipped policy.
func shipped(tb testing.TB, name string) string {
	tb.Helper()
	src, err := fs.ReadFile(policies.FS, name+".yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return string(src)
}

// fataler is what the request helpers need of a test: a *testing.T or a
// *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// do sends a request to h as a same-origin page would and returns the
// status and the body decoded into a map.
func do(tb fataler, h http.Handler, method, target string, body any) (int, map[string]any) {
	tb.Helper()
	rec := send(tb, h, method, target, body, nil)
	var reply map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
		tb.Fatalf("%s %s: reply %q is not JSON: %v", method, target, rec.Body, err)
	}
	return rec.Code, reply
}

// send sends a request with body encoded as JSON (a string as it is) and
// the given headers over those of a same-origin fetch.
func send(tb fataler, h http.Handler, method, target string, body any, header map[string]string) *httptest.ResponseRecorder {
	tb.Helper()
	var text string
	switch b := body.(type) {
	case nil:
	case string:
		text = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		text = string(j)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:7878"+target, strings.NewReader(text))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "http://127.0.0.1:7878")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range header {
		switch {
		case k == "Host":
			req.Host = v
		case v == "":
			req.Header.Del(k)
		default:
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// reencode turns v, decoded into a map, into a T.
func reencode[T any](tb fataler, v any) T {
	tb.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var t T
	if err := json.Unmarshal(j, &t); err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestCheckErrors(t *testing.T) {
	valid := shipped(t, "team-guests")
	tests := []struct {
		name   string
		source string
		want   []lineError
	}{
		{
			name:   "unknown field",
			source: strings.Replace(valid, "    rank: 50\n", "    rnak: 50\n", 1),
			// Line 21 of team-guests.yaml is admin's rank.
			want: []lineError{{Line: 21, Col: 5, Message: `role "admin": unknown field "rnak"`}},
		},
		{
			name:   "YAML syntax",
			source: "policy: [x\n",
		},
	}
	h := New("")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reply := do(t, h, "POST", "/api/check", source{Name: "tg.yaml", Source: tt.source})
			if code != http.StatusOK {
				t.Fatalf("POST /api/check = %d %v, want 200", code, reply)
			}
			got := reencode[checkReply](t, reply)
			if len(got.Errors) == 0 {
				t.Fatalf("no errors for %q", tt.source)
			}
			if got.Policy != nil || got.Matrix != nil {
				t.Errorf("a policy that does not load has policy %v, matrix %v", got.Policy, got.Matrix)
			}
			// The reply holds the loader's errors, each at its line.
			_, err := policy.Load("tg.yaml", []byte(tt.source))
			var want []lineError
			for _, e := range err.(policy.ErrorList) {
				want = append(want, lineError{Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg})
			}
			if diff := cmp.Diff(want, got.Errors); diff != "" {
				t.Errorf("errors differ from the loader's (-loader +reply):\n%s", diff)
			}
			for _, w := range tt.want {
				found := false
				for _, e := range got.Errors {
					found = found || e.Line == w.Line && e.Col == w.Col && strings.Contains(e.Message, w.Message)
				}
				if !found {
					t.Errorf("errors %v lack %v", got.Errors, w)
				}
			}
			for _, e := range got.Errors {
				if e.Line < 1 || e.Col < 1 {
					t.Errorf("error %v has no position", e)
				}
			}
		})
	}
}

func TestCheckValid(t *testing.T) {
	h := New("")
	for _, name := range exampleNames() {
		t.Run(name, func(t *testing.T) {
			src := shipped(t, name)
			code, reply := do(t, h, "POST", "/api/check", source{Name: name + ".yaml", Source: src})
			if code != http.StatusOK {
				t.Fatalf("POST /api/check = %d %v", code, reply)
			}
			got := reencode[checkReply](t, reply)
			if len(got.Errors) != 0 {
				t.Fatalf("errors in a shipped policy: %v", got.Errors)
			}
			p, err := policy.Load(name+".yaml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(names(p), got.Policy); diff != "" {
				t.Errorf("policy names differ (-want +got):\n%s", diff)
			}
			if got.Matrix == nil || len(got.Matrix.Rows) != len(p.Actions()) {
				t.Fatalf("matrix %v has not one row per action (%d)", got.Matrix, len(p.Actions()))
			}
			if got.Matrix.Header[0] != "Action" || len(got.Matrix.Header) < 1+len(p.Roles()) {
				t.Errorf("matrix header %q: want Action and a column per role", got.Matrix.Header)
			}
			for i, a := range p.Actions() {
				row := got.Matrix.Rows[i]
				if len(row) != len(got.Matrix.Header) {
					t.Fatalf("row %q has %d cells, header %d", row, len(row), len(got.Matrix.Header))
				}
				for j, r := range p.Roles() {
					if got.Matrix.Header[1+j] != r.Name {
						t.Fatalf("column %d is %q, want role %q", 1+j, got.Matrix.Header[1+j], r.Name)
					}
					if (row[1+j] != "") != a.Allowed.Has(r) {
						t.Errorf("matrix says %q for %s may %s, the policy %t", row[1+j], r.Name, a.Name, a.Allowed.Has(r))
					}
				}
			}
		})
	}
}

func TestMarkdownCells(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"| Action | admin | guest |", []string{"Action", "admin", "guest"}},
		{"| a \\| b | ✅ |  |", []string{"a | b", "✅", ""}},
		{"| --- | --- |", []string{"---", "---"}},
	}
	for _, tt := range tests {
		if got := markdownCells(tt.line); !cmp.Equal(got, tt.want) {
			t.Errorf("markdownCells(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	src := shipped(t, "team-guests")
	p, err := policy.Load("team-guests.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	h := New("")
	tests := []struct {
		name      string
		req       decideRequest
		wantError string // a substring of the reply's error; "" for a decision
	}{
		{name: "allowed", req: decideRequest{Role: "admin", Action: "update_settings"}},
		{name: "role lacks action", req: decideRequest{Role: "member", Action: "update_settings"}},
		{name: "plan lacks role", req: decideRequest{Role: "member", Action: "browse_projects", Plan: "starter"}},
		{name: "guest off project", req: decideRequest{Role: "guest", Action: "view_project", Project: "roadmap", Granted: []string{"design"}}},
		{name: "guests disabled", req: decideRequest{Role: "guest", Action: "view_project", Project: "design", Granted: []string{"design"}, Plan: "business", GuestsDisabled: true}},
		{name: "unknown role", req: decideRequest{Role: "boss", Action: "view_project"}, wantError: `no role "boss"`},
		{name: "guest without projects", req: decideRequest{Role: "guest", Action: "view_project"}, wantError: "name the projects granted"},
		{name: "policy does not load", req: decideRequest{source: source{Source: "policy: [x\n"}, Role: "admin", Action: "x"}, wantError: "the policy does not load (1 error)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Source == "" {
				req.source = source{Name: "dir/team-guests.yaml", Source: src}
			}
			code, reply := do(t, h, "POST", "/api/decide", req)
			if code != http.StatusOK {
				t.Fatalf("POST /api/decide = %d %v", code, reply)
			}
			got := reencode[decideReply](t, reply)
			if tt.wantError != "" {
				if got.Decision != nil || !strings.Contains(got.Error, tt.wantError) {
					t.Errorf("reply %+v, want the error %q", got, tt.wantError)
				}
				return
			}
			s := explain.Scenario{Role: req.Role, Action: req.Action, Plan: req.Plan, Kind: req.Kind,
				Project: req.Project, Granted: req.Granted, GuestsDisabled: req.GuestsDisabled}
			d, err := s.Decide(p)
			if err != nil {
				t.Fatal(err)
			}
			want := &decision{Allowed: d.Allowed, Reason: d.Reason.String(), Text: d.String(), Line: d.Pos.Line, Col: d.Pos.Col}
			if diff := cmp.Diff(want, got.Decision); diff != "" || got.Error != "" {
				t.Errorf("decision differs from explain's (-want +got), error %q:\n%s", got.Error, diff)
			}
			if got.Decision.Line == 0 {
				t.Errorf("decision %+v names no rule", got.Decision)
			}
		})
	}
}

func TestStartAndExamples(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(file, []byte("policy: p\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want startReply
	}{
		{"", startReply{Examples: exampleNames()}},
		{file, startReply{File: file, CanSave: true, Source: "policy: p\n", Examples: exampleNames()}},
		{filepath.Join(dir, "new.yaml"), startReply{File: filepath.Join(dir, "new.yaml"), CanSave: true, Examples: exampleNames()}},
	}
	for _, tt := range tests {
		code, reply := do(t, New(tt.file), "GET", "/api/start", nil)
		if code != http.StatusOK {
			t.Fatalf("GET /api/start = %d %v", code, reply)
		}
		if diff := cmp.Diff(tt.want, reencode[startReply](t, reply)); diff != "" {
			t.Errorf("New(%q): /api/start differs (-want +got):\n%s", tt.file, diff)
		}
	}
	if want := []string{"coins", "credit-pool", "spaces", "team-guests", "video-studio"}; !cmp.Equal(exampleNames(), want) {
		t.Errorf("exampleNames() = %q, want %q", exampleNames(), want)
	}

	h := New("")
	for _, name := range exampleNames() {
		code, reply := do(t, h, "GET", "/api/examples/"+name, nil)
		if got := reencode[exampleReply](t, reply); code != http.StatusOK || got != (exampleReply{Name: name, Source: shipped(t, name)}) {
			t.Errorf("GET /api/examples/%s = %d, %q", name, code, got.Name)
		}
	}
	for _, name := range []string{"nope", "embed.go", "..%2fpolicy", "team-guests.yaml"} {
		if code, reply := do(t, h, "GET", "/api/examples/"+name, nil); code != http.StatusNotFound {
			t.Errorf("GET /api/examples/%s = %d %v, want 404", name, code, reply)
		}
	}
}

func TestPage(t *testing.T) {
	h := New("")
	for _, path := range []string{"/", "/app.js", "/app.css"} {
		rec := send(t, h, "GET", path, nil, nil)
		if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d, %d bytes", path, rec.Code, rec.Body.Len())
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
	}
	if rec := send(t, h, "GET", "/", nil, nil); !strings.Contains(rec.Body.String(), `<script src="app.js"`) {
		t.Errorf("GET / does not load app.js:\n%s", rec.Body)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	other := filepath.Join(dir, "other.yaml")
	for _, f := range []string{file, other} {
		if err := os.WriteFile(f, []byte("old\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	h := New(file)
	// The name a request carries is only for positions: save writes the
	// handler's file whatever it says.
	code, reply := do(t, h, "POST", "/api/save", source{Name: other, Source: "policy: new\n"})
	if code != http.StatusOK {
		t.Fatalf("POST /api/save = %d %v", code, reply)
	}
	if got := reencode[saveReply](t, reply); got != (saveReply{File: file, Bytes: 12}) {
		t.Errorf("save reply %+v", got)
	}
	for f, want := range map[string]string{file: "policy: new\n", other: "old\n"} {
		got, err := os.ReadFile(f)
		if err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", f, got, err, want)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("saved file's mode %v, %v; want the old 0640", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the directory holds %d files after a save, want 2 (no temporary file left)", len(entries))
	}

	// A file that does not exist yet is created.
	created := filepath.Join(dir, "new.yaml")
	if code, reply := do(t, New(created), "POST", "/api/save", source{Source: "x"}); code != http.StatusOK {
		t.Errorf("POST /api/save of a new file = %d %v", code, reply)
	}
	if fi, err := os.Stat(created); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("new file: %v, %v; want mode 0644", fi, err)
	}

	// Without a file there is nothing to save to.
	if code, reply := do(t, New(""), "POST", "/api/save", source{Source: "x"}); code != http.StatusNotFound {
		t.Errorf("POST /api/save without a file = %d %v, want 404", code, reply)
	}
	// A directory that is gone fails the save and says so.
	gone := filepath.Join(dir, "gone", "p.yaml")
	if code, reply := do(t, New(gone), "POST", "/api/save", source{Source: "x"}); code != http.StatusInternalServerError || !strings.Contains(reply["error"].(string), "gone") {
		t.Errorf("POST /api/save into a missing directory = %d %v, want 500", code, reply)
	}
}

func TestGuard(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(file, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := New(file)
	save := source{Source: "policy: p\n"}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		header map[string]string
		want   int
	}{
		{"same origin", "POST", "/api/save", save, nil, http.StatusOK},
		{"no browser headers", "POST", "/api/save", save, map[string]string{"Origin": "", "Sec-Fetch-Site": ""}, http.StatusOK},
		{"cross-site fetch", "POST", "/api/save", save, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign origin, old browser", "POST", "/api/save", save, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""}, http.StatusForbidden},
		{"form post", "POST", "/api/save", `{"source":"x"}`, map[string]string{"Content-Type": "text/plain"}, http.StatusUnsupportedMediaType},
		{"rebound name, GET", "GET", "/api/start", nil, map[string]string{"Host": "evil.example:7878"}, http.StatusForbidden},
		{"rebound name, POST", "POST", "/api/save", save, map[string]string{"Host": "evil.example", "Origin": "http://evil.example"}, http.StatusForbidden},
		{"localhost", "GET", "/api/start", nil, map[string]string{"Host": "localhost:7878"}, http.StatusOK},
		{"IPv6 loopback", "GET", "/api/start", nil, map[string]string{"Host": "[::1]:7878"}, http.StatusOK},
		{"body too large", "POST", "/api/check", source{Source: strings.Repeat("#", MaxBody)}, nil, http.StatusRequestEntityTooLarge},
		{"not JSON", "POST", "/api/check", "policy: p", nil, http.StatusBadRequest},
		{"unknown field", "POST", "/api/check", `{"src":"x"}`, nil, http.StatusBadRequest},
		{"GET of a POST endpoint", "GET", "/api/save", nil, nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte("old\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			rec := send(t, h, tt.method, tt.path, tt.body, tt.header)
			if rec.Code != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.want)
			}
			got, _ := os.ReadFile(file)
			if saved := string(got) != "old\n"; saved != (tt.want == http.StatusOK && tt.path == "/api/save") {
				t.Errorf("file saved: %t, after a %d", saved, rec.Code)
			}
		})
	}
}

func TestAllowedHost(t *testing.T) {
	tests := map[string]bool{
		"127.0.0.1:7878": true, "127.0.0.1": true, "localhost": true, "LOCALHOST:80": true,
		"app.localhost:1": true, "[::1]:7878": true, "::1": true, "192.168.1.5:7878": true, "localhost.": true,
		"evil.example": false, "evil.example:7878": false, "localhost.evil.example": false, "": false,
		"127.0.0.1.nip.io": false,
	}
	for host, want := range tests {
		if got := allowedHost(host); got != want {
			t.Errorf("allowedHost(%q) = %t, want %t", host, got, want)
		}
	}
}
