package scenarios

import (
	"encoding/base64"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// TestRecordsHoldNoSecrets checks every golden record, of the library and
// of the gate's matrix, for the passwords its scenario sets and for the
// AUTH payloads that would carry them. Fresh records are checked wherever
// a scenario is played (judgeScenario, TestGate).
func TestRecordsHoldNoSecrets(t *testing.T) {
	for _, path := range library(t) {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			secrets := secretsOf(t, data)
			if len(secrets) == 0 && passwordKey.Match(data) {
				t.Fatal("the file sets a password that secretsOf does not find")
			}
			if g, err := os.ReadFile(GoldenPath(path)); err == nil {
				noSecrets(t, GoldenPath(path), g, secrets)
			}
		})
	}
	for _, c := range Matrix() {
		secrets := secretsOf(t, c.Source)
		if len(secrets) == 0 {
			continue
		}
		if g, err := os.ReadFile(c.GoldenPath()); err == nil {
			noSecrets(t, c.GoldenPath(), g, secrets)
		}
	}
}

// noSecrets fails the test for each secret the record named name holds.
func noSecrets(t *testing.T, name string, rec []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(string(rec), s) {
			t.Errorf("%s contains a credential (%q)", name, s)
		}
	}
}

var passwordKey = regexp.MustCompile(`(?m)^\s*-?\s*[a-z_0-9]*password[a-z_0-9]*:\s*\S`)

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
			// Every model names its login fields its own way:
			// password, smtp_password_1, verify_password; username,
			// user_name, account_name, smtp_login_name_2.
			switch key := mv.Key.String(); {
			case strings.Contains(key, "password"):
				passwords = append(passwords, values...)
			case strings.Contains(key, "user") || key == "account_name" || strings.Contains(key, "login_name"):
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
