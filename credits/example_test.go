package credits_test

import (
	"fmt"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
)

// A workspace subscribed on January 31 gets 100 AI credits a month, and up
// to 20 unused credits carry into the next month. An admin tops the pool up;
// an editor spends within a 60-credit allowance.
func Example() {
	anchor := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	g := plan.Grant{
		Currency: "ai_credits",
		Amount:   100,
		Every:    plan.Monthly,
		Rollover: plan.Rollover{Kind: plan.RolloverCap, Cap: 20},
	}
	pool := &credits.Pool{Currency: "ai_credits"}
	ed := &credits.Allowance{Member: "ed", Amount: 60}
	var journal []credits.Entry
	log := func(es []credits.Entry, err error) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		for _, e := range es {
			fmt.Printf("  %-7v %-9s %+4d\n", e.Kind, e.Grant, e.Amount)
		}
		journal = append(journal, es...)
	}

	now := time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)
	fmt.Println("February 1:")
	log(credits.Reset(pool, g, anchor, now))
	log(credits.TopUp(pool, "order-17", 50, time.Time{}, now, credits.Meta{Member: "admin"}))
	log(credits.Spend(pool, ed, g.RequireAllowance, 45, now, credits.Meta{Member: "ed", Action: "generate", Key: "r1"}))
	log(credits.Spend(pool, ed, g.RequireAllowance, 20, now, credits.Meta{Member: "ed", Action: "generate", Key: "r2"}))
	fmt.Println("balance", pool.Balance(now))

	now = time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC) // the period turns on the clamped 29th
	fmt.Println("February 29:")
	log(credits.Reset(pool, g, anchor, now))
	log(credits.Spend(pool, ed, g.RequireAllowance, 30, now, credits.Meta{Member: "ed", Action: "generate", Key: "r3"}))
	fmt.Println("balance", pool.Balance(now), "journal sum", credits.Sum(journal))
	for _, r := range credits.SpendTable(journal) {
		fmt.Printf("%s spent %d in period %d\n", r.Member, r.Spent, r.Period)
	}
	// Output:
	// February 1:
	//   reset               +0
	//   grant   period:0  +100
	//   topup   order-17   +50
	//   spend   period:0   -45
	// error: credits: allowance exceeded: member "ed" needs 20, has 15 left
	// balance 105
	// February 29:
	//   reset               +0
	//   carry   period:0   -20
	//   forfeit period:0   -35
	//   carry   carry:1    +20
	//   grant   period:1  +100
	//   spend   carry:1    -20
	//   spend   period:1   -10
	// balance 140 journal sum 140
	// ed spent 45 in period 0
	// ed spent 30 in period 1
}
