// Package playground serves the page of "charter playground": an editor for
// one policy file that shows the loader's errors at their lines as the
// author types, the policy's role x action matrix, a panel that decides one
// request with the reason and the rule that decided it, the shipped policies
// one click away, and the edited policy saved back or downloaded.
//
// The page and its script are embedded; nothing is fetched from the network.
// Its API, every body JSON:
//
//	GET  /api/start          {file, canSave, source, examples}: what the page opens with
//	GET  /api/examples/NAME  {name, source}: a shipped policy
//	POST /api/check          {name, source} -> {errors, policy, matrix}
//	POST /api/decide         {name, source, role, action, plan, kind, project, granted, guestsDisabled}
//	                         -> {decision} or {error}
//	POST /api/save           {source} -> {file, bytes}: writes the handler's file, and no other
//
// The handler answers only requests whose Host is localhost or an IP
// address, so that a web site cannot reach it by rebinding its own name to
// the loopback address, and POSTs only from its own origin (see
// http.CrossOriginProtection) with a JSON body of at most MaxBody bytes.
package playground

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charterhq/charter/cmd/charter/internal/explain"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/testdata/policies"
)

// MaxBody is the largest request body the handler reads: a policy of
// policy.DefaultMaxSize with room for the JSON around it and its escapes.
const MaxBody = 2*policy.DefaultMaxSize + 64<<10

//go:embed static
var static embed.FS

// handler serves the page and its API for one policy file.
type handler struct {
	file string // the file to open and save; "" for none
}

// New returns the handler of a playground that edits file, or, when file is
// "", a playground that starts from a shipped policy and can only download.
// Save writes file and no other path; a file that does not exist yet opens
// empty and is created by the first save.
func New(file string) http.Handler {
	h := &handler{file: file}
	mux := http.NewServeMux()
	assets, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static
	}
	mux.Handle("GET /", http.FileServerFS(assets))
	mux.HandleFunc("GET /api/start", h.start)
	mux.HandleFunc("GET /api/examples/{name}", h.example)
	mux.HandleFunc("POST /api/check", h.check)
	mux.HandleFunc("POST /api/decide", h.decide)
	mux.HandleFunc("POST /api/save", h.save)
	return guard(mux)
}

// guard refuses requests to other hosts than the loopback names and IP
// addresses, cross-origin POSTs and POSTs whose body is not JSON, and caps
// request bodies at MaxBody. It also tells the browser to load nothing from
// elsewhere and not to frame the page.
func guard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowedHost(r.Host) {
			httpError(w, http.StatusForbidden, fmt.Sprintf("host %q is not allowed: open the playground at localhost or an IP address", r.Host))
			return
		}
		if r.Method == http.MethodPost {
			if err := cop.Check(r); err != nil {
				httpError(w, http.StatusForbidden, err.Error())
				return
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				httpError(w, http.StatusUnsupportedMediaType, "the body must be application/json")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// allowedHost reports whether host, a request's Host with or without a
// port, names the machine in a way no other web site can: localhost, a
// name under .localhost, or an IP address.
func allowedHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return net.ParseIP(strings.Trim(host, "[]")) != nil
}

// startReply is the answer of GET /api/start.
type startReply struct {
	File     string   `json:"file"`    // the file's path as given; "" for none
	CanSave  bool     `json:"canSave"` // whether POST /api/save writes it
	Source   string   `json:"source"`  // its text; "" when it does not exist
	Examples []string `json:"examples"`
}

func (h *handler) start(w http.ResponseWriter, r *http.Request) {
	reply := startReply{File: h.file, CanSave: h.file != "", Examples: exampleNames()}
	if h.file != "" {
		src, err := os.ReadFile(h.file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		reply.Source = string(src)
	}
	writeJSON(w, reply)
}

// exampleNames returns the shipped policies' names, their file names
// without ".yaml", sorted.
func exampleNames() []string {
	files, _ := fs.Glob(policies.FS, "*.yaml") // the pattern is valid
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(f, ".yaml")
	}
	return names
}

// exampleReply is the answer of GET /api/examples/NAME.
type exampleReply struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

func (h *handler) example(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !slices.Contains(exampleNames(), name) {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no shipped policy %q", name))
		return
	}
	src, err := fs.ReadFile(policies.FS, name+".yaml")
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, exampleReply{Name: name, Source: string(src)})
}

// source is the policy a request carries.
type source struct {
	// Name is the file name positions and decisions mention; only its
	// last element is used.
	Name   string `json:"name"`
	Source string `json:"source"`
}

// load compiles the policy in s. It returns a nil Policy and the errors
// when it does not load.
func (s source) load() (*policy.Policy, []lineError) {
	p, err := policy.Load(s.fileName(), []byte(s.Source))
	if err == nil {
		return p, nil
	}
	var list policy.ErrorList
	if !errors.As(err, &list) {
		return nil, []lineError{{Message: err.Error()}}
	}
	errs := make([]lineError, len(list))
	for i, e := range list {
		errs[i] = lineError{Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Msg}
	}
	return nil, errs
}

// fileName returns the last element of s.Name, or "policy.yaml".
func (s source) fileName() string {
	name := path.Base(filepath.ToSlash(s.Name))
	if name == "." || name == "/" || name == "" {
		return "policy.yaml"
	}
	return name
}

// lineError is one of the loader's errors at its line and column, both 0
// when it has no position.
type lineError struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

// checkReply is the answer of POST /api/check: the errors, or, when the
// policy loads, what the decide panel offers and the matrix.
type checkReply struct {
	Errors []lineError  `json:"errors"`
	Policy *policyNames `json:"policy,omitempty"`
	Matrix *table       `json:"matrix,omitempty"`
}

// policyNames are the names a request to a policy can use.
type policyNames struct {
	Name        string     `json:"name"`
	Roles       []roleName `json:"roles"`
	Plans       []string   `json:"plans"`
	DefaultPlan string     `json:"defaultPlan"`
	Actions     []string   `json:"actions"`
}

// roleName is a role as the decide panel offers it.
type roleName struct {
	Name  string `json:"name"`
	Guest bool   `json:"guest"` // a guest needs granted projects
}

func names(p *policy.Policy) *policyNames {
	n := &policyNames{Name: p.Name(), DefaultPlan: p.DefaultPlan().Name}
	for _, r := range p.Roles() {
		n.Roles = append(n.Roles, roleName{Name: r.Name, Guest: r.Guest})
	}
	for _, pl := range p.Plans() {
		n.Plans = append(n.Plans, pl.Name)
	}
	for _, a := range p.Actions() {
		n.Actions = append(n.Actions, a.Name)
	}
	return n
}

func (h *handler) check(w http.ResponseWriter, r *http.Request) {
	var req source
	if !readJSON(w, r, &req) {
		return
	}
	p, errs := req.load()
	reply := checkReply{Errors: errs}
	if p != nil {
		reply.Errors = []lineError{}
		reply.Policy = names(p)
		reply.Matrix = matrix(p)
	}
	writeJSON(w, reply)
}

// decideRequest is the body of POST /api/decide: a policy and a question.
type decideRequest struct {
	source
	Role           string   `json:"role"`
	Action         string   `json:"action"`
	Plan           string   `json:"plan"`
	Kind           string   `json:"kind"`
	Project        string   `json:"project"`
	Granted        []string `json:"granted"`
	GuestsDisabled bool     `json:"guestsDisabled"`
}

// decision is a policy.Decision as the page shows it.
type decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"` // the Reason's short name
	Text    string `json:"text"`   // the Decision's String
	Line    int    `json:"line"`   // the deciding rule's line; 0 for none
	Col     int    `json:"col"`
}

// decideReply is the answer of POST /api/decide: the decision, or why the
// question could not be put.
type decideReply struct {
	Decision *decision `json:"decision,omitempty"`
	Error    string    `json:"error,omitempty"`
}

func (h *handler) decide(w http.ResponseWriter, r *http.Request) {
	var req decideRequest
	if !readJSON(w, r, &req) {
		return
	}
	p, errs := req.load()
	if p == nil {
		writeJSON(w, decideReply{Error: fmt.Sprintf("the policy does not load (%s): fix it first", count(len(errs), "error"))})
		return
	}
	s := explain.Scenario{
		Role: req.Role, Action: req.Action, Plan: req.Plan, Kind: req.Kind,
		Project: req.Project, Granted: req.Granted, GuestsDisabled: req.GuestsDisabled,
	}
	d, err := s.Decide(p)
	if err != nil {
		writeJSON(w, decideReply{Error: err.Error()})
		return
	}
	writeJSON(w, decideReply{Decision: &decision{
		Allowed: d.Allowed, Reason: d.Reason.String(), Text: d.String(),
		Line: d.Pos.Line, Col: d.Pos.Col,
	}})
}

// count returns "1 error", "2 errors" and so on.
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// saveReply is the answer of POST /api/save.
type saveReply struct {
	File  string `json:"file"`
	Bytes int    `json:"bytes"`
}

func (h *handler) save(w http.ResponseWriter, r *http.Request) {
	if h.file == "" {
		httpError(w, http.StatusNotFound, "no file to save to: start charter playground with a FILE, or download")
		return
	}
	var req source
	if !readJSON(w, r, &req) {
		return
	}
	if err := writeFileAtomic(h.file, []byte(req.Source)); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, saveReply{File: h.file, Bytes: len(req.Source)})
}

// writeFileAtomic replaces the file at name by data: it writes a temporary
// file beside it and renames it over name, so that a reader sees the old
// text or the new, never a part. The new file keeps the old one's
// permissions; a new file gets 0644.
func writeFileAtomic(name string, data []byte) (err error) {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// readJSON decodes r's body, one JSON value with no unknown fields, into v.
// It answers the request itself and returns false when the body is too
// large or not such a value.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than the limit of %d bytes", tooLarge.Limit))
		return false
	case err != nil:
		httpError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// errorReply is the body of every answer that is not 200 OK.
type errorReply struct {
	Error string `json:"error"`
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(errorReply{Error: "charter playground: " + msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
