package results

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
)

// JUnit XML as CI systems read it (the schema gotestsum writes, which
// GitHub Actions' and GitLab's test reports take): testsuites, each with
// its test cases, a failure element for each failed one. encoding/xml
// reads and writes it; a dependency would add nothing.

// Suites is a JUnit file.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr,omitempty"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one test suite.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr,omitempty"`
	Skipped    int        `xml:"skipped,attr,omitempty"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []TestCase `xml:"testcase"`
}

// Property is a name and a value of a suite.
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// TestCase is one test case and its result.
type TestCase struct {
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	Time      string   `xml:"time,attr"`
	Skipped   *Message `xml:"skipped,omitempty"`
	Failure   *Message `xml:"failure,omitempty"`
	Error     *Message `xml:"error,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// Message is a failure's, an error's or a skip's.
type Message struct {
	Message  string `xml:"message,attr,omitempty"`
	Type     string `xml:"type,attr,omitempty"`
	Contents string `xml:",chardata"`
}

// JUnit makes a suite of explored cases: one test case each, named
// case-NNNNNN under the class explore/<model and firmware>, a failure
// for each case that broke an invariant, saying which and where its
// shrunk file is.
func JUnit(name string, cs []Case) Suite {
	s := Suite{Name: name}
	var total float64
	for _, c := range cs {
		tc := TestCase{Classname: "explore/" + strings.ReplaceAll(c.Device(), " ", "-"), Name: c.Name(), Time: fmt.Sprintf("%.3f", c.Seconds)}
		total += c.Seconds
		if c.Failed() {
			v := c.Violations[0]
			var b strings.Builder
			fmt.Fprintf(&b, "seed %d (case %d of run %d)\n", c.Seed, c.Index, c.Root)
			for _, v := range c.Violations {
				fmt.Fprintf(&b, "%s: %s\n", v.Invariant, v.Detail)
			}
			if c.Shrunk != "" {
				fmt.Fprintf(&b, "shrunk to %d fault%s: make replay SCENARIO=%s\n", c.ShrunkFaults, plural(c.ShrunkFaults), c.Shrunk)
			}
			tc.Failure = &Message{Message: v.Invariant + ": " + v.Detail, Type: v.Invariant, Contents: b.String()}
			s.Failures++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	s.Time = fmt.Sprintf("%.3f", total)
	return s
}

// ReadJUnit reads a JUnit file: a testsuites document, or a lone
// testsuite.
func ReadJUnit(path string) (Suites, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Suites{}, err
	}
	var all Suites
	if err := xml.Unmarshal(data, &all); err == nil && all.XMLName.Local == "testsuites" {
		return all, nil
	}
	var one struct {
		XMLName xml.Name `xml:"testsuite"`
		Suite
	}
	if err := xml.Unmarshal(data, &one); err != nil {
		return Suites{}, fmt.Errorf("%s: not a JUnit file: %v", path, err)
	}
	return Suites{Suites: []Suite{one.Suite}}, nil
}

// Merge puts suites together into one file, its totals counted again from
// the test cases. Suites of the same name (the same package, from two
// shards) become one suite.
func Merge(name string, files ...Suites) Suites {
	out := Suites{Name: name}
	index := map[string]int{}
	for _, f := range files {
		for _, s := range f.Suites {
			i, ok := index[s.Name]
			if !ok {
				i = len(out.Suites)
				index[s.Name] = i
				out.Suites = append(out.Suites, Suite{Name: s.Name, Timestamp: s.Timestamp, Properties: s.Properties})
			}
			m := &out.Suites[i]
			m.Cases = append(m.Cases, s.Cases...)
			m.Time = addSeconds(m.Time, s.Time)
		}
	}
	var total string
	for i := range out.Suites {
		s := &out.Suites[i]
		s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		total = addSeconds(total, s.Time)
	}
	out.Time = total
	return out
}

func addSeconds(a, b string) string {
	var x, y float64
	fmt.Sscan(a, &x)
	fmt.Sscan(b, &y)
	return fmt.Sprintf("%.3f", x+y)
}

// WriteJUnit writes a JUnit file.
func WriteJUnit(w io.Writer, s Suites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
