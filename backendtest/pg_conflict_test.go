package backendtest_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/storage/postgres/pgtest"
)

// forceSQL installs a trigger on the journal that, while force_code holds a
// code, fails every insert with that SQLSTATE, and counts its firings in a
// sequence (sequences are not rolled back, so the count survives the
// retries' rollbacks).
const forceSQL = `
CREATE TABLE force_code (code text NOT NULL);
CREATE SEQUENCE force_hits;
CREATE FUNCTION force_fail() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c text;
BEGIN
	SELECT code INTO c FROM force_code LIMIT 1;
	IF c IS NOT NULL THEN
		PERFORM nextval('force_hits');
		RAISE EXCEPTION 'forced failure %', c USING ERRCODE = c;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER force_fail BEFORE INSERT ON journal FOR EACH ROW EXECUTE FUNCTION force_fail();
`

// TestForcedSerializationFailures makes PostgreSQL report a serialization
// failure (40001) and a deadlock (40P01) on every attempt of a Spend: the
// store retries a bounded number of times (postgres.MaxAttempts), then the
// Service returns ErrConflict with nothing written (balance, journal, key);
// once the database recovers, a retry with the same key applies once, and a
// second retry returns the same receipt without spending again.
func TestForcedSerializationFailures(t *testing.T) {
	for _, code := range []string{"40001", "40P01"} {
		t.Run(code, func(t *testing.T) {
			url := pgtest.SchemaURL(t)
			s := newService(t, "credit-pool", openPostgres(t, url), newClock())
			id := spendPool(t, s, 10)
			conn, err := pgx.Connect(ctx, url)
			check(t, err)
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, forceSQL)
			check(t, err)
			_, err = conn.Exec(ctx, `INSERT INTO force_code VALUES ($1)`, code)
			check(t, err)

			before := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
			_, err = s.Spend(ctx, "edi", "create_visuals", id, "k1")
			wantErr(t, err, charter.ErrConflict)
			var hits int64
			check(t, conn.QueryRow(ctx, `SELECT last_value FROM force_hits`).Scan(&hits))
			if hits != postgres.MaxAttempts {
				t.Errorf("the failing insert ran %d times, want the bound %d", hits, postgres.MaxAttempts)
			}
			after := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
			if len(after) != len(before) {
				t.Errorf("journal grew from %d to %d entries through a failed spend", len(before), len(after))
			}
			if b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")); b.Available != 10 {
				t.Errorf("balance %d after a failed spend, want 10", b.Available)
			}
			var keys int
			check(t, conn.QueryRow(ctx, `SELECT count(*) FROM idempotency`).Scan(&keys))

			_, err = conn.Exec(ctx, `DELETE FROM force_code`)
			check(t, err)
			r1 := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
			r2 := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
			if !r1.Time.Equal(r2.Time) || r1.Amount != r2.Amount {
				t.Errorf("a repeated key gave a different receipt: %+v then %+v", r1, r2)
			}
			if b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")); b.Available != 9 {
				t.Errorf("balance %d after one spend, want 9", b.Available)
			}
			spends := 0
			for _, e := range must[[]credits.Entry](t)(journalOf(s, "own", id, "credits")) {
				if e.Kind == credits.KindSpend && e.Key == "k1" {
					spends++
				}
			}
			if spends != 1 {
				t.Errorf("key k1 has %d spend entries, want 1", spends)
			}
			var keysAfter int
			check(t, conn.QueryRow(ctx, `SELECT count(*) FROM idempotency`).Scan(&keysAfter))
			if keysAfter != keys+1 {
				t.Errorf("idempotency keys: %d before the retry (after the failure), %d after; want one more", keys, keysAfter)
			}
		})
	}
}
