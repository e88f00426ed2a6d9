package charterhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/charterhttp"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// Example guards one route with the action it needs. The actor comes from
// the application's own authentication (here, a bearer token that is the
// user's name); the handler reads the decision from the request's context.
func Example() {
	p, _ := policy.Load("notes.yaml", []byte(`
policy: notes
roles:
  owner:  {owner: true, admin: true, rank: 100, assigns: [reader]}
  reader: {rank: 10}
actions:
  read: {}
  write: {}
operations:
  invite: write
plans:
  free: {}
permissions:
  read: [owner, reader]
  write: [owner]
`))
	s, _ := charter.New(p, memory.New(), charter.Options{})
	ctx := context.Background()
	ws, _ := s.CreateWorkspace(ctx, "olga", "Notes", "")
	inv, _ := s.Invite(ctx, "olga", ws.ID, "rita@example.com", "reader")
	_, _ = s.Accept(ctx, "rita", "rita@example.com", inv.Token)

	g := &charterhttp.Guard{Service: s, Actor: func(r *http.Request) (string, error) {
		user, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return user, nil
	}}
	mux := http.NewServeMux()
	mux.Handle("PUT /workspaces/{workspace}/notes", g.Require("write", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, _ := charterhttp.FromContext(r.Context())
		fmt.Fprintf(w, "%s wrote (%v)", a.Actor, a.Decision.Reason)
	})))

	for _, user := range []string{"olga", "rita", "mallory", ""} {
		r := httptest.NewRequest("PUT", "/workspaces/"+ws.ID+"/notes", nil)
		r.Header.Set("Authorization", "Bearer "+user)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("%-8q %d %s", user, w.Code, w.Body)
		if w.Code == 200 {
			fmt.Println()
		}
	}
	// Output:
	// "olga"   200 olga wrote (allowed)
	// "rita"   403 {"type":"about:blank","title":"Forbidden","status":403,"code":"forbidden","detail":"the policy does not allow write: role lacks action","action":"write","reason":"role_lacks_action"}
	// "mallory" 404 {"type":"about:blank","title":"Not Found","status":404,"code":"not_found"}
	// ""       401 {"type":"about:blank","title":"Unauthorized","status":401,"code":"unauthenticated"}
}
