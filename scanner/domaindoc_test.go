package scanner

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// domainDoc is the repository's domain reference, which the code cites as
// "docs/domain.md §N".
const domainDoc = "../docs/domain.md"

// TestDomainDocExamples: the examples the tests use are the ones the
// reference shows, character for character.
func TestDomainDocExamples(t *testing.T) {
	doc, err := os.ReadFile(domainDoc)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cccdExample, bhytExample}
	want = append(want, strings.Split(mrzExample, "\r\n")...)
	for _, w := range want {
		if !strings.Contains(string(doc), w) {
			t.Errorf("%s does not show the example %q", domainDoc, w)
		}
	}
}

// TestDomainDocSections: every "domain.md §N" cited anywhere in the
// repository names a section the reference has, so that a renumbering or
// a citation of a section never written fails here.
func TestDomainDocSections(t *testing.T) {
	doc, err := os.ReadFile(domainDoc)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^## (\d+)\. `).FindAllStringSubmatch(string(doc), -1) {
		sections[m[1]] = true
	}
	if len(sections) == 0 {
		t.Fatalf("%s has no numbered sections", domainDoc)
	}
	cite := regexp.MustCompile(`domain\.md\s*(?://\s*)?§(\d+)`)
	cited := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" || (strings.HasPrefix(name, ".") && name != "..") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".yaml", ".json", ".md", ".js", ".html":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(data), -1) {
			cited++
			if !sections[m[1]] {
				t.Errorf("%s cites domain.md §%s, which %s does not have", path, m[1], domainDoc)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited == 0 {
		t.Error("no citation of domain.md §N found: the walk missed the tree")
	}
}
