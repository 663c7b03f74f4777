package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadLeavesOutOnlyALastLineCutShort: a worker killed mid-write
// leaves a last line without its newline, which is left out; a line that
// is not a case anywhere else, the last one ended by its newline
// included, is an error naming the file and line.
func TestReadLeavesOutOnlyALastLineCutShort(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"Root":1,"Index":0}` + "\n" + `{"Root":1,"Index":1}` + "\n"
	if cs, err := Read(write("cut.jsonl", good+`{"Root":1,"Ind`)); err != nil || len(cs) != 2 {
		t.Errorf("a last line cut short: %d cases, %v; want the 2 before it", len(cs), err)
	}
	for name, text := range map[string]string{
		"ended.jsonl":  good + "{\"Root\":1,\"Ind\n",
		"middle.jsonl": `{"Root":1,"Index":0}` + "\nnot a case\n" + `{"Root":1,"Index":1}` + "\n",
	} {
		if _, err := Read(write(name, text)); err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s: error %v, want one naming the file and line", name, err)
		}
	}
}
