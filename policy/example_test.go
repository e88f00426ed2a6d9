package policy_test

import (
	"fmt"
	"log"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/workspace"
)

const examplePolicy = `
policy: studio
features: [pro_tools]
roles:
  owner: {owner: true, admin: true, rank: 100, assigns: [editor]}
  editor: {seat: true, rank: 50}
actions:
  generate_video: {description: Generate video, feature: pro_tools}
  change_billing: {description: Change billing, billing: true}
plans:
  free: {}
  pro: {features: [pro_tools]}
permissions:
  generate_video: [owner, editor]
  change_billing: [owner]
`

func Example() {
	p, err := policy.Load("studio.yaml", []byte(examplePolicy))
	if err != nil {
		log.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ws, err := workspace.New("w1", workspace.Shared, p.Plan("free"), "olivia", p.OwnerRole(), now)
	if err != nil {
		log.Fatal(err)
	}
	if err := ws.Add("eddie", p.Role("editor"), nil, now); err != nil {
		log.Fatal(err)
	}

	fmt.Println(p.Can("eddie", "generate_video", ws))
	fmt.Println(p.Decide("eddie", "generate_video", ws, ""))
	ws.Plan = p.Plan("pro")
	fmt.Println(p.Decide("eddie", "generate_video", ws, ""))
	fmt.Println(p.Decide("eddie", "change_billing", ws, ""))
	fmt.Print(p.Matrix())
	// Output:
	// false
	// denied: plan free lacks feature pro_tools required by generate_video (studio.yaml:8:58)
	// allowed: editor may generate_video (studio.yaml:14:3)
	// denied: editor may not change_billing (studio.yaml:15:3)
	// | Action | owner | editor | Billing | Feature | Plans |
	// | --- | --- | --- | --- | --- | --- |
	// | Generate video | ✅ | ✅ |  | pro_tools | pro |
	// | Change billing | ✅ |  | yes |  |  |
}

func ExampleLoad_errors() {
	_, err := policy.Load("bad.yaml", []byte(`
policy: bad
roles:
  owner: {owner: true, admin: true, rank: 100}
  editor: {rank: 50, rank: 60}
actions:
  change_billing: {billing: true}
plans: {free: {}}
permissions:
  change_billing: [owner, editor, viewer]
`))
	fmt.Println(err)
	// Output:
	// policy: bad.yaml:5:22: duplicate key "rank" (first at bad.yaml:5:12)
	// policy: bad.yaml:10:27: billing action "change_billing" granted to non-admin role "editor" (role declared at bad.yaml:5:3)
	// policy: bad.yaml:10:35: permissions: "change_billing": unknown role "viewer"
}
