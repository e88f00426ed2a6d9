package playground_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/charterhq/charter/cmd/charter/internal/playground"
)

const studio = `policy: studio
roles:
  owner: {owner: true, admin: true, rank: 100, assigns: [editor]}
  editor: {seat: true, rank: 50}
actions:
  generate_video: {description: Generate video}
plans:
  free: {}
permissions:
  generate_video: [owner, janitor]
`

func ExampleNew() {
	srv := httptest.NewServer(playground.New("")) // no file: download only
	defer srv.Close()

	// What the page posts as the author types; the errors come back with
	// their lines and columns.
	body, err := json.Marshal(map[string]string{"name": "studio.yaml", "source": studio})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/api/check", "application/json", strings.NewReader(string(body)))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		Errors []struct {
			Line, Col int
			Message   string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		log.Fatal(err)
	}
	for _, e := range reply.Errors {
		fmt.Printf("%d:%d: %s\n", e.Line, e.Col, e.Message)
	}
	// Output:
	// 10:27: permissions: "generate_video": unknown role "janitor"
}
