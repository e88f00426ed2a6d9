package plan_test

import (
	"fmt"
	"time"

	"github.com/charterhq/charter/plan"
)

func ExamplePeriod_Bounds() {
	anchor := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC) // subscribed on Jan 31
	start, end := plan.Monthly.Bounds(anchor, time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC))
	fmt.Println(start.Format(time.DateOnly), end.Format(time.DateOnly))
	// Output: 2024-01-31 2024-02-29
}
