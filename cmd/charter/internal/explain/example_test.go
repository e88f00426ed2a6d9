package explain_test

import (
	"fmt"
	"log"

	"github.com/charterhq/charter/cmd/charter/internal/explain"
	"github.com/charterhq/charter/policy"
)

const studio = `
policy: studio
features: [pro_tools]
roles:
  owner: {owner: true, admin: true, rank: 100, assigns: [editor, guest]}
  editor: {seat: true, rank: 50}
  guest: {guest: true, rank: 10}
actions:
  generate_video: {description: Generate video, feature: pro_tools}
  view_project: {description: View a project, scope: project}
plans:
  free: {default: true}
  pro: {features: [pro_tools]}
permissions:
  generate_video: [owner, editor]
  view_project: [owner, editor, guest]
`

func ExampleScenario_Decide() {
	p, err := policy.Load("studio.yaml", []byte(studio))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range []explain.Scenario{
		{Role: "editor", Action: "generate_video"},
		{Role: "editor", Action: "generate_video", Plan: "pro"},
		{Role: "guest", Action: "view_project", Project: "roadmap", Granted: []string{"design"}},
		{Role: "guest", Action: "view_project"},
		{Role: "boss", Action: "view_project"},
	} {
		d, err := s.Decide(p)
		if err != nil {
			fmt.Printf("%s: %v\n", s, err)
			continue
		}
		fmt.Printf("%s: %s\n", s, d)
	}
	// Output:
	// editor generate_video: denied: plan free lacks feature pro_tools required by generate_video (studio.yaml:9:58)
	// editor generate_video (plan pro): allowed: editor may generate_video (studio.yaml:15:3)
	// guest view_project on "roadmap" (granted [design]): denied: guest role guest may view_project only on granted projects, not "roadmap" (studio.yaml:7:18)
	// guest view_project: role guest is a guest role: name the projects granted to it
	// boss view_project: policy studio has no role "boss" (roles: owner, editor, guest)
}
