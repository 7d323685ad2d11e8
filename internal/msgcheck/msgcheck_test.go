package msgcheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// banned are fragments no message may carry, whatever the type.
var banned = []string{"Config.", "Settings.", "Init()", "did you forget"}

// configType matches the struct types whose field names must stay out of
// messages: what a Validate checks and a user sets through a flag or
// parameter under another name.
var configType = regexp.MustCompile(`(Config|Settings|Mapping|Options)$`)

// multiWord matches a field name of two or more words (MaxLine, AckTimeout).
// One-word fields (Token, Arm, Scale) are plain English in a message and
// are left out, so the walk cannot fail on "Token file … is empty".
var multiWord = regexp.MustCompile(`^[A-Z][a-z0-9]+[A-Z]`)

// identifier matches a literal that is a name, not a message: a field key
// passed to fielderr.New or a table of names ("MaxLine", "Pinch.OpenBelow").
// Programs re-word such keys before a user sees them (fielderr.Rename).
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

type literal struct {
	pos  token.Position
	text string
}

// parseTree returns the string literals and config field names of every
// non-test Go file under the module's cmd/ and pkg/.
func parseTree(t *testing.T) (lits []literal, fields map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	fields = map[string]bool{}
	for _, root := range []string{"../../cmd", "../../pkg"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			tags := map[*ast.BasicLit]bool{} // struct tags are not messages
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ImportSpec:
					return false
				case *ast.Field:
					if n.Tag != nil {
						tags[n.Tag] = true
					}
				case *ast.TypeSpec:
					if st, ok := n.Type.(*ast.StructType); ok && configType.MatchString(n.Name.Name) {
						for _, fl := range st.Fields.List {
							for _, name := range fl.Names {
								if name.IsExported() && multiWord.MatchString(name.Name) {
									fields[name.Name] = true
								}
							}
						}
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING && !tags[n] {
						s, err := strconv.Unquote(n.Value)
						if err == nil {
							lits = append(lits, literal{fset.Position(n.Pos()), s})
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return lits, fields
}

func TestMessagesNameNoGoIdentifiers(t *testing.T) {
	lits, fields := parseTree(t)
	if len(lits) < 500 || len(fields) < 20 {
		t.Fatalf("walked %d literals and %d config fields: the walk lost its way", len(lits), len(fields))
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, regexp.QuoteMeta(f))
	}
	slices.Sort(names)
	field := regexp.MustCompile(`\b(` + strings.Join(names, "|") + `)\b`)
	for _, l := range lits {
		if identifier.MatchString(l.text) {
			continue
		}
		var found []string
		for _, b := range banned {
			if strings.Contains(l.text, b) {
				found = append(found, b)
			}
		}
		found = append(found, field.FindAllString(l.text, -1)...)
		if len(found) > 0 {
			t.Errorf("%s: message %q names Go identifiers %q: name the flag, parameter or file the user sets instead",
				l.pos, l.text, found)
		}
	}
}

// The walk must catch what it is for: a message naming a config field and
// the periph wording issue 16 found.
func TestWalkerCatchesKnownBadMessages(t *testing.T) {
	_, fields := parseTree(t)
	for _, f := range []string{"MaxLine", "AckTimeout", "QueueSize", "MaxTargetAge"} {
		if !fields[f] {
			t.Errorf("config field %s is not collected", f)
		}
	}
	for _, s := range []string{"check Config.Token", "did you forget to call Init()?"} {
		if identifier.MatchString(s) {
			t.Errorf("%q is taken for an identifier", s)
		}
	}
}
