package main

import "github.com/charterhq/charter/cmd/charter/internal/explain"

// A scenario is one question put to a policy, as explain and a cases file
// ask it; package explain decides it.
type scenario = explain.Scenario
