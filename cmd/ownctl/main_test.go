package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/seed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const seeds = "../../seed/testdata/"

// session is a list of ownctl invocations whose output and exit status are
// pinned in testdata/session.golden, so the commands' behaviour on the
// four seed models is reviewed as a whole.
var session = []struct {
	args  string
	stdin string
	exit  int
}{
	{"check -seed crm.json -user rep1 -action view -record contact/c1", "", 0},
	{"check -seed crm.json -user rep1 -action view -record contact/c4", "", 1},
	{"check -seed crm.json -user rep1 -action update -record contact/c3", "", 1},
	{"check -seed crm.json -user sam -action claim -record contact/c2", "", 1},
	{"check -seed crm.json -user rep1 -action claim -record contact/c2", "", 0},
	{"check -seed crm.json -user rep1 -action reassign -record contact/c1", "", 1},
	{"check -seed crm.json -user mia -action reassign -record contact/c4", "", 0},
	{"check -seed crm.json -user root -action manage_ownership -record contact/c4", "", 0},
	{"check -seed crm.json -user ghost -action view -record contact/c1", "", 1},
	{"check -seed crm.json -user rep1 -action view -record contact/nope", "", 1},
	{"check -seed crm.json -user rep1 -action fly -record contact/c1", "", 2},
	{"check -seed crm.json -user rep1 -action view -record c1", "", 2},
	{"check -seed crm.json -user rep1 -action view", "", 2},
	{"check -seed missing.json -user rep1 -action view -record contact/c1", "", 2},
	{"check -seed broken.json -user u1 -action view -record contact/c1", "", 2},
	{"check -seed crm.json -queries testdata/queries.jsonl", "", 2},
	{"check -seed crm.json -queries -", `{"user":"rep1","action":"view","record":"contact/c2"}` + "\n", 0},
	{"explain -seed crm.json -user rep1 -action view -record contact/c4", "", 1},
	{"explain -seed crm.json -user rep1 -action claim -record contact/c2", "", 0},
	{"explain -seed journey.json -user 695eb58adc6fea533b02a8c2 -action update -record document/d1", "", 1},
	{"explain -seed journey.json -user 695eb58adc6fea533b02a8c1 -action manage_ownership -record attachment/a1", "", 1},
	{"explain -seed journey.json -user 695eb58adc6fea533b02a8c4 -action delete -record order/o1", "", 0},
	{"explain -seed contracts.json -user eve -action update -record contract/k2 -field amount", "", 0},
	{"explain -seed contracts.json -user max -action update -record contract/k1 -field amount", "", 1},
	{"explain -seed contracts.json -user sue -action view -record contract/k2 -field amount", "", 0},
	{"explain -seed contracts.json -user john -action update -record ticket/t1", "", 0},
	{"filter -seed crm.json -user rep1 -type contact -v", "", 0},
	{"filter -seed crm.json -user sam -action update -type contact", "", 0},
	{"filter -seed journey.json -user 695eb58adc6fea533b02a8c2 -type document -v", "", 0},
	{"filter -seed contracts.json -user amy -action update -type contract", "", 0},
	{"filter -seed crm.json -user ghost -type contact", "", 1},
	{"validate -seed crm.json", "", 0},
	{"validate -seed journey.json", "", 0},
	{"validate -seed contracts.json", "", 0},
	{"validate -seed broken.json", "", 2},
	{"who -seed crm.json -record contact/c4 -v", "", 0},
	{"who -seed crm.json -action claim -record contact/c2", "", 0},
	{"who -seed journey.json -action update -record document/d1 -v", "", 0},
	{"who -seed contracts.json -action update -record contract/k1", "", 0},
	{"who -seed crm.json -record contact/nope", "", 1},
	{"who -seed crm.json -action fly -record contact/c1", "", 2},
	{"check -seed teams.json -user eli -action view -record contact/c1", "", 0},
	{"check -seed teams.json -user wu -action view -record contact/c1", "", 1},
	{"check -seed teams.json -user sam -action claim -record ticket/t1", "", 1},
	{"check -seed teams.json -user ada -action view -record contact/g1", "", 1},
	{"check -seed teams.json -user pat -action view -record contact/g1", "", 0},
	{"explain -seed teams.json -user vera -action update -record contact/c3", "", 0},
	{"explain -seed teams.json -user sue -action claim -record ticket/t1", "", 0},
	{"explain -seed teams.json -user gia -action view -record contact/c1", "", 1},
	{"explain -seed teams.json -user wes -action update -record contact/c1", "", 1},
	{"filter -seed teams.json -user olga -type contact -v", "", 0},
	{"filter -seed teams.json -user dan -action update -type contact", "", 0},
	{"filter -seed teams.json -user sue -type ticket -v", "", 0},
	{"filter -seed teams.json -user pat -type contact", "", 0},
	{"validate -seed teams.json", "", 0},
	{"validate -seed teams_broken.json", "", 2},
	{"who -seed teams.json -record contact/c1 -v", "", 0},
	{"who -seed teams.json -action claim -record ticket/t1 -v", "", 0},
	{"who -seed teams.json -record contact/g1", "", 0},
	{"teleport", "", 2},
	{"", "", 2},
	{"filter -help", "", 0},
}

func TestSession(t *testing.T) {
	var all strings.Builder
	for _, c := range session {
		args := strings.Fields(c.args)
		for i, a := range args {
			if strings.HasSuffix(a, ".json") && i > 0 && args[i-1] == "-seed" {
				args[i] = seeds + a
			}
		}
		var out, errOut bytes.Buffer
		code := run(args, strings.NewReader(c.stdin), &out, &errOut)
		if code != c.exit {
			t.Errorf("ownctl %s: exit %d, want %d\n%s%s", c.args, code, c.exit, out.String(), errOut.String())
		}
		fmt.Fprintf(&all, "$ ownctl %s\n%s", c.args, out.String())
		if errOut.Len() > 0 {
			fmt.Fprintf(&all, "[stderr]\n%s", strings.ReplaceAll(errOut.String(), seeds, ""))
		}
		fmt.Fprintf(&all, "[exit %d]\n\n", code)
	}
	got := strings.ReplaceAll(all.String(), seeds, "")
	path := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("session mismatch (-want +got):\n%s", diff)
	}
}

// writeQueries writes n queries cycling over the crm seed's users, actions
// and records, and returns the file's path.
func writeQueries(t testing.TB, n int) string {
	t.Helper()
	users := []string{"mia", "rep1", "rep2", "sam", "root", "ghost"}
	actions := []string{"view", "update", "delete", "claim", "reassign", "manage_ownership"}
	records := []string{"contact/c1", "contact/c2", "contact/c3", "contact/c4", "contact/c9"}
	path := filepath.Join(t.TempDir(), "queries.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range n {
		fmt.Fprintf(w, `{"user":%q,"action":%q,"record":%q}`+"\n", users[i%len(users)], actions[i/len(users)%len(actions)], records[i/7%len(records)])
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBatchAgreesWithDecide answers 100,000 queries in batch mode and
// checks every answer against the library.
func TestBatchAgreesWithDecide(t *testing.T) {
	const n = 100_000
	path := writeQueries(t, n)
	var out, errOut bytes.Buffer
	if code := run([]string{"check", "-seed", seeds + "crm.json", "-queries", path}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	data, err := os.ReadFile(seeds + "crm.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := seed.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	lines := 0
	for sc.Scan() {
		var a answer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("line %d: %v", lines+1, err)
		}
		act, _ := ownership.ParseAction(a.Action)
		d := s.Decide(ownership.UserID(a.User), act, ownership.MustRef(a.Record), "")
		if a.Allowed != d.Allowed || a.Reason != d.Reason.String() || a.Explanation != d.Explain() {
			t.Fatalf("line %d: %+v, library says %v", lines+1, a, d)
		}
		lines++
	}
	if lines != n {
		t.Fatalf("%d answers for %d queries", lines, n)
	}
}

// BenchmarkBatch measures answering 100,000 JSON-line queries: loading
// the seed, reading the queries and writing the answers (to a discarding
// writer, as to a pipe).
func BenchmarkBatch(b *testing.B) {
	path := writeQueries(b, 100_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var errOut bytes.Buffer
		if code := run([]string{"check", "-seed", seeds + "crm.json", "-queries", path}, nil, io.Discard, &errOut); code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
}

// runBatch answers the queries read from in on the crm seed and returns
// the exit status and the output lines, each decoded.
func runBatch(t *testing.T, in io.Reader) (int, []answer) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run([]string{"check", "-seed", seeds + "crm.json", "-queries", "-"}, in, &out, &errOut)
	if errOut.Len() > 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
	var answers []answer
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line == "" {
			continue
		}
		var a answer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		answers = append(answers, a)
	}
	return code, answers
}

// TestBatchLongLine: a line longer than maxQueryLine gets an error line
// and the lines after it are still answered, each with one line.
func TestBatchLongLine(t *testing.T) {
	short := `{"user":"rep1","action":"view","record":"contact/c1"}`
	long := `{"user":"` + strings.Repeat("a", 2<<20) + `","action":"view","record":"contact/c1"}`
	code, answers := runBatch(t, strings.NewReader(short+"\n"+long+"\n"+short+"\n"))
	if code != exitBad || len(answers) != 3 {
		t.Fatalf("exit %d, %d answers, want 2 and 3: %+v", code, len(answers), answers)
	}
	if !answers[0].Allowed || !answers[2].Allowed || answers[0].Error != "" || answers[2].Error != "" {
		t.Errorf("short lines: %+v, %+v; want both allowed", answers[0], answers[2])
	}
	if want := (answer{Line: 2, Error: "line longer than 1048576 bytes: not read"}); answers[1] != want {
		t.Errorf("long line: %+v, want %+v", answers[1], want)
	}
}

// TestBatchLineLimit: a query line of exactly maxQueryLine bytes is read,
// with either line end and without one at the end of the input; one byte
// more is too long.
func TestBatchLineLimit(t *testing.T) {
	query := `{"user":"rep1","action":"view","record":"contact/c1"}`
	fill := func(n int) string { return query + strings.Repeat(" ", n-len(query)) }
	for _, c := range []struct {
		name, in string
		errs     []bool
	}{
		{"at the limit", fill(maxQueryLine) + "\n" + query + "\n", []bool{false, false}},
		{"at the limit, CRLF", fill(maxQueryLine-1) + "\r\n" + query + "\r\n", []bool{false, false}},
		{"at the limit, last", query + "\n" + fill(maxQueryLine), []bool{false, false}},
		{"one over", fill(maxQueryLine+1) + "\n" + query, []bool{true, false}},
		{"one over, last", query + "\n" + fill(maxQueryLine+1), []bool{false, true}},
		{"blank lines", "\n\n" + fill(maxQueryLine+1) + "\n\n" + query + "\n", []bool{true, false}},
	} {
		_, answers := runBatch(t, strings.NewReader(c.in))
		if len(answers) != len(c.errs) {
			t.Errorf("%s: %d answers, want %d", c.name, len(answers), len(c.errs))
			continue
		}
		for i, a := range answers {
			if (a.Error != "") != c.errs[i] || (!c.errs[i] && !a.Allowed) {
				t.Errorf("%s: answer %d: %+v", c.name, i+1, a)
			}
		}
	}
}

// endless is n bytes of 'a' and then a newline and a query, made up as
// they are read.
type endless struct {
	n    int
	tail string
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n > 0 {
		k := min(len(p), e.n)
		for i := range p[:k] {
			p[i] = 'a'
		}
		e.n -= k
		return k, nil
	}
	if e.tail == "" {
		return 0, io.EOF
	}
	k := copy(p, e.tail)
	e.tail = e.tail[k:]
	return k, nil
}

// TestBatchLongLineMemory: an over-long line is skipped, not held: a
// 256 MiB line costs a few MiB.
func TestBatchLongLineMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, answers := runBatch(t, &endless{n: 256 << 20, tail: "\n" + `{"user":"rep1","action":"view","record":"contact/c1"}` + "\n"})
	runtime.ReadMemStats(&after)
	if len(answers) != 2 || answers[0].Error == "" || !answers[1].Allowed {
		t.Fatalf("answers: %+v", answers)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("reading a 256 MiB line allocated %d MiB", n>>20)
	}
}

// TestSeedWhoAgreesWithDecide: for every seed, record and action, the
// users who lists are exactly those that check allows, with the same
// decision, so who sees the organisation as the other commands do.
func TestSeedWhoAgreesWithDecide(t *testing.T) {
	ctx := t.Context()
	for _, name := range []string{"crm.json", "journey.json", "contracts.json", "teams.json"} {
		data, err := os.ReadFile(seeds + name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := seed.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		src := seedSource{s}
		for _, raw := range s.Records() {
			r, _, _ := src.record(ctx, raw.Ref)
			for _, a := range []ownership.Action{ownership.View, ownership.Update, ownership.Delete, ownership.Claim, ownership.Reassign, ownership.ManageOwnership} {
				acc, err := src.who(ctx, a, r)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(acc.Allowed) + len(acc.Denied); n != len(s.Users()) {
					t.Fatalf("%s %s %s: %d decisions for %d users", name, a, r.Ref, n, len(s.Users()))
				}
				for _, d := range append(acc.Allowed, acc.Denied...) {
					want, err := src.decide(ctx, d.Subject, a, r.Ref, "")
					if err != nil {
						t.Fatal(err)
					}
					if d != want {
						t.Errorf("%s: who says %v, check says %v", name, d, want)
					}
				}
			}
		}
	}
}
