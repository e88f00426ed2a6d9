package sqlrec_test

import (
	"fmt"

	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// A dialect with numbered placeholders writes the shared statements with
// $1, $2, ...
func ExampleDialect_Init() {
	d := (&sqlrec.Dialect[int64, string]{Name: "example", Placeholder: sqlrec.Numbered, False: "false", Lock: " FOR UPDATE"}).Init()
	fmt.Println(d.Q.DeleteMember)
	fmt.Println(d.Q.PoolLocked)
	// Output:
	// DELETE FROM members WHERE workspace = $1 AND user_id = $2
	// SELECT workspace, currency, started, period, version FROM pools WHERE workspace = $1 AND currency = $2 FOR UPDATE
}
