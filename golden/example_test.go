package golden_test

import (
	"fmt"
	"os"
	"path/filepath"

	"alertsim/golden"
)

// A test renders its output and compares it with the golden file beside
// it; `go test -update` writes the file instead.
func ExampleCompare() {
	dir, _ := os.MkdirTemp("", "golden")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.golden")
	os.WriteFile(path, []byte("delivered: 1\n"), 0o644)

	fmt.Println(golden.Compare(path, []byte("delivered: 1\n")))
	err := golden.Compare(path, []byte("delivered: 0\n"))
	_, differs := err.(*golden.MismatchError)
	fmt.Println(differs)
	// Output:
	// <nil>
	// true
}
