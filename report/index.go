package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"io"
	"path"
	"slices"
	"strings"
)

// The release gate's index: every scenario it played, pass or fail, the
// matrix as a grid per model and firmware (network profiles down,
// provider presets across) and the library as a list, each linked to its
// report when one was written.

// Cell is one scenario of the gate, as the index lists it.
type Cell struct {
	// Name is the scenario's: "matrix/ptz-4g-5.2.0/4g-weak/gmail-like",
	// "ptz/ptz-gmail-465-motion".
	Name string
	// Matrix tells a cell of the generated matrix from a library
	// scenario.
	Matrix                   bool
	Model, Firmware, Profile string
	// Presets are the provider presets of its servers.
	Presets []string
	OK      bool
	// Outcome is the run's in a few words ("1/1 delivered"); Problem is
	// why it failed, its first line.
	Outcome, Problem string
	// Report is the path of its report relative to the index; empty when
	// none was written. Files are the other files written beside it
	// (the scenario, its golden record, this run's record, its capture).
	Report string
	Files  []string
}

// Group is the model and firmware a cell counts under.
func (c Cell) Group() string { return strings.TrimSpace(c.Model + " " + c.Firmware) }

//go:embed index.html
var indexHTML string

var (
	indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{"ext": path.Ext}).Parse(indexHTML))
	indexPolicy   = "default-src 'none'; style-src '" + hash(css) + "'"
)

type indexPage struct {
	Title          string
	Passed, Failed int
	Failures       []Cell
	Groups         []indexGroup
	Library        []Cell
	Policy         string
	CSS            template.CSS
}

type indexGroup struct {
	Name     string
	Presets  []string
	Profiles []indexProfile
	Passed   int
	Failed   int
}

type indexProfile struct {
	Name  string
	Cells []*Cell // one per preset, nil where the matrix has none
}

// WriteIndex writes the gate's index of cells to w. Cells may come in any
// order: the index sorts them.
func WriteIndex(w io.Writer, title string, cells []Cell) error {
	p := indexPage{Title: title, Policy: indexPolicy, CSS: template.CSS(css)}
	cells = slices.Clone(cells)
	slices.SortFunc(cells, func(a, b Cell) int { return strings.Compare(a.Name, b.Name) })
	groups := map[string]*indexGroup{}
	var order []string
	for i := range cells {
		c := &cells[i]
		if c.OK {
			p.Passed++
		} else {
			p.Failed++
			p.Failures = append(p.Failures, *c)
		}
		if !c.Matrix {
			p.Library = append(p.Library, *c)
			continue
		}
		g := groups[c.Group()]
		if g == nil {
			g = &indexGroup{Name: c.Group()}
			groups[c.Group()] = g
			order = append(order, c.Group())
		}
		if c.OK {
			g.Passed++
		} else {
			g.Failed++
		}
		preset := strings.Join(c.Presets, ", ")
		if !slices.Contains(g.Presets, preset) {
			g.Presets = append(g.Presets, preset)
		}
	}
	slices.Sort(order)
	for _, name := range order {
		g := groups[name]
		slices.Sort(g.Presets)
		rows := map[string]*indexProfile{}
		var profiles []string
		for i := range cells {
			c := &cells[i]
			if !c.Matrix || c.Group() != name {
				continue
			}
			r := rows[c.Profile]
			if r == nil {
				r = &indexProfile{Name: c.Profile, Cells: make([]*Cell, len(g.Presets))}
				rows[c.Profile] = r
				profiles = append(profiles, c.Profile)
			}
			r.Cells[slices.Index(g.Presets, strings.Join(c.Presets, ", "))] = c
		}
		slices.Sort(profiles)
		for _, pr := range profiles {
			g.Profiles = append(g.Profiles, *rows[pr])
		}
		p.Groups = append(p.Groups, *g)
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err := w.Write(validText(buf.Bytes()))
	return err
}
