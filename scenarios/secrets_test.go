package scenarios

import (
	"encoding/base64"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// TestRecordsHoldNoSecrets checks every golden record of the library, and
// a fresh record of each scenario, for the passwords the scenario sets and
// for the AUTH payloads that would carry them.
func TestRecordsHoldNoSecrets(t *testing.T) {
	for _, path := range library(t) {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			secrets := secretsOf(t, data)
			if len(secrets) == 0 {
				return
			}
			sc, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			records := map[string][]byte{"fresh record": Run(t, sc, Options{}).Record}
			if g, err := os.ReadFile(GoldenPath(path)); err == nil {
				records[GoldenPath(path)] = g
			}
			for name, rec := range records {
				for _, s := range secrets {
					if strings.Contains(string(rec), s) {
						t.Errorf("%s contains a credential (%q)", name, s)
					}
				}
			}
		})
	}
}

// secretsOf returns every password set in a scenario file, and the base64
// forms AUTH PLAIN and LOGIN would send it in.
func secretsOf(t *testing.T, data []byte) []string {
	t.Helper()
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	var users, passwords []string
	for _, doc := range file.Docs {
		ast.Walk(visitor(func(n ast.Node) {
			mv, ok := n.(*ast.MappingValueNode)
			if !ok {
				return
			}
			var values []string
			switch v := mv.Value.(type) {
			case *ast.StringNode:
				values = []string{v.Value}
			case *ast.SequenceNode:
				for _, item := range v.Values {
					if sv, ok := item.(*ast.StringNode); ok {
						values = append(values, sv.Value)
					}
				}
			}
			switch mv.Key.String() {
			case "password", "app_passwords", "revoked_app_passwords":
				passwords = append(passwords, values...)
			case "username":
				users = append(users, values...)
			}
		}), doc)
	}
	var secrets []string
	b64 := base64.StdEncoding.EncodeToString
	for _, p := range passwords {
		secrets = append(secrets, p, b64([]byte(p)))
		for _, u := range users {
			secrets = append(secrets, b64([]byte("\x00"+u+"\x00"+p)))
		}
	}
	for _, u := range users {
		// AUTH LOGIN sends the user name alone, base64-encoded.
		secrets = append(secrets, b64([]byte(u)))
	}
	slices.Sort(secrets)
	return slices.Compact(secrets)
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}
