package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/charterhq/charter/cmd/charter/internal/explain"
	"github.com/charterhq/charter/policy"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the browser test's screenshot of the page to docs/playground.png")

// chromium returns the path of the Chromium to test in: $CHROMIUM, else
// chromium on $PATH. Without one the test is skipped, except under
// CI=true, where a missing browser fails it: make test installs Debian's
// chromium (scripts/with-chromium.sh).
func chromium(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("CHROMIUM"); path != "" {
		return path
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Chromium: %v (make test installs Debian's chromium; or set $CHROMIUM)", err)
		}
		t.Skipf("no Chromium to test the page in: %v (apt-get install chromium, or set $CHROMIUM)", err)
	}
	return path
}

// lockedBuffer is a bytes.Buffer that the browser's output goroutine and
// the test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBrowser starts a headless Chromium for t, with the flags that keep it
// off the network (it only talks to the test's server), and returns a
// context of one tab in it.
func startBrowser(t *testing.T) context.Context {
	exe := chromium(t)
	out := &lockedBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.CombinedOutput(out),
	)
	// The whole browser's lifetime is capped, so that a page that never
	// gets where a step waits for fails the test rather than hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
		if t.Failed() {
			// Without a D-Bus, as in CI, Chromium complains of it many
			// times; those lines say nothing about the page.
			var lines []string
			for _, l := range strings.Split(out.String(), "\n") {
				if !strings.Contains(l, "dbus") {
					lines = append(lines, l)
				}
			}
			t.Logf("chromium's output, without its D-Bus complaints:\n%s", strings.Join(lines, "\n"))
		}
	})
	return tctx
}

// page drives the playground in a tab.
type page struct {
	t   *testing.T
	ctx context.Context
}

// do runs the steps, failing the test with what they were for.
func (p page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// eval returns the value of the JavaScript expression js.
func eval[T any](p page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor waits until the JavaScript expression cond is true; when it does
// not become true, it fails the test with what it waited for and the value
// of the expression show.
func (p page) waitFor(what, cond, show string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(p.ctx, chromedp.Evaluate[any](show))
		p.t.Fatalf("waiting for %s: %v; the page shows %#v", what, err, got)
	}
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cell is a cell of the matrix drawn on the page: its class and text.
type cell struct {
	Class string `json:"class"`
	Text  string `json:"text"`
}

func (p page) cell(actionTitle, column string) cell {
	p.t.Helper()
	return eval[cell](p, fmt.Sprintf(`(() => {
		const tr = [...document.querySelectorAll('#matrix tbody tr')].find((r) => r.dataset.action === %s);
		const td = tr && [...tr.cells].find((c) => c.dataset.col === %s);
		return td ? {class: td.className, text: td.textContent} : {class: 'missing', text: ''};
	})()`, js(actionTitle), js(column)))
}

// decide fills the decide panel, submits it and waits for the decision,
// whose text must be want.
func (p page) decide(s explain.Scenario, want string) {
	p.t.Helper()
	// Set as a person would pick and type, each field firing its events.
	// (chromedp.SetValue cannot set an input to "".)
	fields := map[string]string{
		"#role": s.Role, "#action": s.Action, "#plan": s.Plan, "#project": s.Project, "#granted": strings.Join(s.Granted, ", "),
	}
	j, err := json.Marshal(fields)
	if err != nil {
		p.t.Fatal(err)
	}
	p.do("fill the decide panel", chromedp.Evaluate[chromedp.Void](`(() => {
		for (const [sel, v] of Object.entries(`+string(j)+`)) {
			const e = document.querySelector(sel);
			e.value = v;
			if (e.value !== v) throw new Error(sel + ' has no option ' + v);
			e.dispatchEvent(new Event('input', {bubbles: true}));
			e.dispatchEvent(new Event('change', {bubbles: true}));
		}
	})()`))
	p.do("decide", chromedp.Click(chromedp.CSS("#decide-button")), chromedp.WaitVisible(chromedp.CSS("#result")))
	p.waitFor("the decision of "+s.String(),
		`document.querySelector('#because').textContent === `+js(want),
		`[...document.querySelectorAll('#result span, #result div')].map((e) => e.textContent)`)
}

// TestBrowser edits a policy in the playground in a real headless Chromium
// as an author would: it types a mistake and sees the error at its line,
// fixes it and sees the matrix change, decides requests and sees the
// reasons and the rules, saves the file and opens a shipped policy.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := startBrowser(t)
	p := page{t: t, ctx: ctx}

	dir := t.TempDir()
	file := filepath.Join(dir, "team-guests.yaml")
	orig := shipped(t, "team-guests")
	if err := os.WriteFile(file, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(file))
	defer srv.Close()

	// The row the test edits, and the policy as it is before and after.
	const row = "update_settings: [admin, owner"
	line := 1 + strings.Count(orig[:strings.Index(orig, row)], "\n")
	before, err := policy.Load("team-guests.yaml", []byte(orig))
	if err != nil {
		t.Fatal(err)
	}
	title := before.Action("update_settings").Title()

	p.do("open the page", chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#status.ok")))
	if got := eval[string](p, `document.querySelector('#source').value`); got != orig {
		t.Fatalf("the editor does not hold %s", file)
	}
	if got := p.cell(title, "member"); got != (cell{Class: "no", Text: ""}) {
		t.Fatalf("before the edit, member's %q cell is %+v, want empty", title, got)
	}

	// A decision first, so that one shows as the author edits.
	guest := explain.Scenario{Role: "guest", Action: "view_project", Plan: "starter", Project: "roadmap", Granted: []string{"design"}}
	d, err := guest.Decide(before)
	if err != nil {
		t.Fatal(err)
	}
	p.decide(guest, d.String())
	if got := eval[string](p, `document.querySelector('#reason').textContent`); got != "guest not on project" {
		t.Errorf("reason %q, want guest not on project", got)
	}

	// Type a mistake: a role that does not exist, at the end of the row.
	p.do("type a mistake",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const src = document.querySelector('#source');
			const at = src.value.indexOf(%s) + %d;
			src.focus();
			src.setSelectionRange(at, at);
			src.scrollTop = %d * 18 - 250;
		})()`, js(row), len(row), line-1)),
		chromedp.KeyEvent(", membr"),
	)
	errLine := fmt.Sprintf(`#gutter div.err[data-line="%d"]`, line)
	p.waitFor("the error at line "+fmt.Sprint(line), `document.querySelector(`+js(errLine)+`) !== null`,
		`[...document.querySelectorAll('#errors li')].map((e) => e.textContent)`)
	edited := eval[string](p, `document.querySelector('#source').value`)
	_, err = policy.Load("team-guests.yaml", []byte(edited))
	var list policy.ErrorList
	if !strings.Contains(edited, row+", membr]") || err == nil || !errors.As(err, &list) {
		t.Fatalf("after typing, the editor holds a policy that loads with %v", err)
	}
	for _, e := range list {
		if e.Pos.Line != line || !strings.Contains(e.Msg, "membr") {
			continue
		}
		// The message is in the gutter's tooltip, at the end of the line
		// and in the list below.
		if got := eval[string](p, `document.querySelector(`+js(errLine)+`).title`); !strings.Contains(got, e.Msg) {
			t.Errorf("line %d's tooltip %q lacks %q", line, got, e.Msg)
		}
		mark := fmt.Sprintf(`#marks div.err[data-line="%d"] .msg`, line)
		if got := eval[string](p, `document.querySelector(`+js(mark)+`).textContent`); !strings.Contains(got, e.Msg) {
			t.Errorf("line %d's mark %q lacks %q", line, got, e.Msg)
		}
		want := fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
		if got := eval[[]string](p, `[...document.querySelectorAll('#errors li')].map((e) => e.textContent)`); !slices.Contains(got, want) {
			t.Errorf("the error list %q lacks %q", got, want)
		}
		list = nil
		break
	}
	if list != nil {
		t.Errorf("the loader reports no error about membr at line %d: %v", line, list)
	}
	if got := eval[string](p, `document.querySelector('#status').textContent`); !strings.HasSuffix(got, "error") && !strings.HasSuffix(got, "errors") {
		t.Errorf("status %q does not count errors", got)
	}
	if *updateScreenshot {
		shot(t, p)
	}

	// Fix it: "membr" -> "member". The error goes and member gains the
	// action in the matrix, outlined as changed.
	p.do("fix the mistake", chromedp.KeyEvent(kb.Backspace+kb.Backspace+"ber"))
	p.waitFor("the policy to load again", `document.querySelector('#status.ok') !== null`,
		`document.querySelector('#status').textContent`)
	if n := eval[int](p, `document.querySelectorAll('#gutter div.err, #errors li').length`); n != 0 {
		t.Errorf("%d error marks remain after the fix", n)
	}
	if got := p.cell(title, "member"); got != (cell{Class: "yes changed", Text: "\u2713"}) {
		t.Errorf("after the fix, member's %q cell is %+v, want a changed check mark", title, got)
	}
	if got := p.cell(title, "admin"); got != (cell{Class: "yes", Text: "\u2713"}) {
		t.Errorf("after the fix, admin's %q cell is %+v, want an unchanged check mark", title, got)
	}
	fixed := eval[string](p, `document.querySelector('#source').value`)
	after, err := policy.Load("team-guests.yaml", []byte(fixed))
	if err != nil {
		t.Fatalf("the fixed policy does not load: %v", err)
	}

	// Decide with the fixed policy: member may now update the settings,
	// on the plan that offers members, and the rule is the edited row.
	member := explain.Scenario{Role: "member", Action: "update_settings", Plan: "business"}
	d, err = member.Decide(after)
	if err != nil || !d.Allowed || d.Pos.Line != line {
		t.Fatalf("%s: %v, %v; want allowed by line %d", member, d, err, line)
	}
	p.decide(member, d.String())
	if got, want := eval[[]string](p, `['#verdict', '#reason', '#rule'].map((s) => document.querySelector(s).textContent)`),
		[]string{"allowed", "allowed", fmt.Sprintf("team-guests.yaml:%d:%d", d.Pos.Line, d.Pos.Col)}; !slices.Equal(got, want) {
		t.Errorf("the decision shows %q, want %q", got, want)
	}
	// The rule's position takes the cursor to it.
	p.do("follow the rule", chromedp.Click(chromedp.CSS("#rule")))
	if got := eval[int](p, `(() => { const s = document.querySelector('#source'); return s.value.slice(0, s.selectionStart).split('\n').length; })()`); got != line {
		t.Errorf("after following the rule the cursor is on line %d, want %d", got, line)
	}
	// The same member on the starter plan, which offers no members.
	member.Plan = "starter"
	d, _ = member.Decide(after)
	p.decide(member, d.String())
	if got := eval[[]string](p, `['#verdict', '#reason'].map((s) => document.querySelector(s).textContent)`); !slices.Equal(got, []string{"denied", d.Reason.String()}) {
		t.Errorf("the decision shows %q, want denied, %s", got, d.Reason)
	}

	// Save writes the file.
	p.do("save", chromedp.Click(chromedp.CSS("#save")))
	p.waitFor("the save", `document.querySelector('#status').textContent.startsWith('saved ')`,
		`document.querySelector('#status').textContent`)
	if got, err := os.ReadFile(file); err != nil || string(got) != fixed {
		t.Errorf("%s after save: %v; holds the fixed policy: %t", file, err, string(got) == fixed)
	}

	// A shipped policy is one click away.
	coins, err := policy.Load("coins.yaml", []byte(shipped(t, "coins")))
	if err != nil {
		t.Fatal(err)
	}
	p.do("open a shipped policy", chromedp.Click(chromedp.CSS(`button[data-example="coins"]`)))
	p.waitFor("the coins policy", `document.querySelector('#policyname').textContent === `+js(coins.Name()),
		`document.querySelector('#policyname').textContent`)
	if got := eval[string](p, `document.querySelector('#source').value`); got != shipped(t, "coins") {
		t.Errorf("the editor does not hold the shipped coins policy")
	}
	if n := eval[int](p, `document.querySelectorAll('#matrix tbody tr').length`); n != len(coins.Actions()) {
		t.Errorf("the coins matrix has %d rows, want %d", n, len(coins.Actions()))
	}

	// Download gives the policy in the editor as a file named after it.
	downloads := t.TempDir()
	p.do("download",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
			})
			return err
		}),
		chromedp.Click(chromedp.CSS("#download")),
	)
	got := ""
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(downloads, "coins.yaml")); err == nil {
			if got = string(b); got == shipped(t, "coins") {
				break
			}
		}
	}
	if got != shipped(t, "coins") {
		entries, _ := os.ReadDir(downloads)
		t.Errorf("download: coins.yaml holds %d bytes, want the shipped policy; the directory holds %v", len(got), entries)
	}
}

// shot writes a screenshot of the page to docs/playground.png.
func shot(t *testing.T, p page) {
	t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := filepath.Join("..", "..", "..", "..", "docs", "playground.png")
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
