package migration_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/charterhq/charter/storage/internal/migration"
)

func TestList(t *testing.T) {
	fsys := fstest.MapFS{
		"m/10_later.sql":   {Data: []byte("SELECT 10")},
		"m/2_second.sql":   {Data: []byte("SELECT 2")},
		"m/0001_init.sql":  {Data: []byte("SELECT 1")},
		"m/notes.txt":      {Data: []byte("not a migration")},
		"other/3_skip.sql": {Data: []byte("elsewhere")},
	}
	files, err := migration.List(fsys, "m/*.sql", "test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, fmt.Sprintf("%d %s %s", f.Version, f.Name, f.Body))
	}
	if want := "1 0001_init.sql SELECT 1|2 2_second.sql SELECT 2|10 10_later.sql SELECT 10"; strings.Join(got, "|") != want {
		t.Errorf("List = %q, want %q", strings.Join(got, "|"), want)
	}
	if !migration.Has(files, 10) || migration.Has(files, 3) {
		t.Error("Has disagrees with the list")
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no version":   {"m/init.sql": {}},
		"zero":         {"m/0_init.sql": {}},
		"same version": {"m/1_a.sql": {}, "m/01_b.sql": {}},
	} {
		if _, err := migration.List(fsys, "m/*.sql", "test"); err == nil || !strings.HasPrefix(err.Error(), "test: ") {
			t.Errorf("%s: List error = %v, want one naming the backend", name, err)
		}
	}
}

func ExampleList() {
	fsys := fstest.MapFS{
		"migrations/0002_index.sql": {Data: []byte("CREATE INDEX ...")},
		"migrations/0001_init.sql":  {Data: []byte("CREATE TABLE ...")},
	}
	files, err := migration.List(fsys, "migrations/*.sql", "example")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(f.Version, f.Name)
	}
	// Output:
	// 1 0001_init.sql
	// 2 0002_index.sql
}

func TestPending(t *testing.T) {
	files := []migration.File{{Version: 1, Name: "1_a.sql"}, {Version: 2, Name: "2_b.sql"}, {Version: 4, Name: "4_c.sql"}}
	tests := []struct {
		name    string
		applied []int64
		want    string // versions to apply, or the error's text
	}{
		{"new database", nil, "1 2 4"},
		{"some applied", []int64{2, 1}, "4"},
		{"all applied", []int64{1, 2, 4}, ""},
		{"a gap applied", []int64{1, 4}, "2"},
		{"newer database", []int64{1, 2, 3}, "test: migrate: database has migration 3, unknown to this program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			todo, err := migration.Pending(files, tt.applied, "test")
			var got []string
			for _, f := range todo {
				got = append(got, fmt.Sprint(f.Version))
			}
			g := strings.Join(got, " ")
			if err != nil {
				g = err.Error()
			}
			if g != tt.want {
				t.Errorf("Pending(%v) = %q, want %q", tt.applied, g, tt.want)
			}
		})
	}
}
