package charterhttp_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/charterhq/charter"

// goList runs go list with args and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Skipf("go list: %v", err)
	}
	return strings.Fields(string(out))
}

// TestImports checks the package's promise: it imports only the standard
// library and charter, and no package of charter but this one, the examples
// and the command depends on net/http.
func TestImports(t *testing.T) {
	for _, imp := range goList(t, "-f", `{{join .Imports "\n"}}`, ".") {
		if strings.Contains(strings.Split(imp, "/")[0], ".") && imp != module && !strings.HasPrefix(imp, module+"/") {
			t.Errorf("charterhttp imports %s, outside the standard library and charter", imp)
		}
	}
	lines := goList(t, "-f", `{{.ImportPath}}:{{join .Deps ","}}`, module+"/...")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages: %q", len(lines), lines)
	}
	for _, line := range lines {
		pkg, deps, _ := strings.Cut(line, ":")
		if strings.HasPrefix(pkg, module+"/charterhttp") || strings.HasPrefix(pkg, module+"/examples/") || strings.HasPrefix(pkg, module+"/cmd/") {
			continue
		}
		for _, dep := range strings.Split(deps, ",") {
			if dep == "net/http" {
				t.Errorf("%s depends on net/http", pkg)
			}
		}
	}
}
