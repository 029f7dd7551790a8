package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// validateDB checks a policy file against a database: the policy is
// valid, the database holds the ownership tables, and every role its
// users hold is one the policy defines.
func validateDB(f *flags) int {
	ctx := context.Background()
	p, ok := loadPolicy(f.policy, f.stdout)
	if !ok {
		return exitBad
	}
	st, err := openDB(ctx, f.db, false)
	if err != nil {
		fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
		return exitBad
	}
	defer st.DB().Close()
	var problems []string
	users := 0
	for u, err := range st.Users(ctx) {
		if err != nil {
			fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
			return exitBad
		}
		users++
		for _, r := range u.Roles {
			if !p.HasRole(r) {
				problems = append(problems, fmt.Sprintf("invalid: users[%q].roles: unknown role %q (the policy defines %s)", u.ID, r, quoted(p.RoleNames())))
			}
		}
	}
	// The organisation: loops, unknown teams and queues, references
	// across tenants, each at its path.
	if _, err := st.Org(ctx); err != nil {
		if !errors.Is(err, ownership.ErrInvalid) {
			fmt.Fprintf(f.stderr, "ownctl: %v\n", err)
			return exitBad
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			problems = append(problems, strings.TrimPrefix(line, "ownership: "))
		}
	}
	var records, synced int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN mode = 1 THEN 1 ELSE 0 END), 0) FROM ownership_records`).Scan(&records, &synced); err != nil {
		fmt.Fprintf(f.stderr, "ownctl: counting the records: %v\n", err)
		return exitBad
	}
	name := redact(f.db)
	if len(problems) > 0 {
		fmt.Fprintf(f.stdout, "%s: %d problem(s):\n", name, len(problems))
		for _, pr := range problems {
			fmt.Fprintf(f.stdout, "  %s\n", pr)
		}
		return exitBad
	}
	fmt.Fprintf(f.stdout, "%s: ok: %d users, %d roles in %s, %d records (%d synced with their parent)\n",
		name, users, len(p.RoleNames()), f.policy, records, synced)
	return exitAllow
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// progress prints how far a long run is, on standard error, every
// `every` records (never when every is 0), and never past the total.
type progress struct {
	w            io.Writer
	what         string
	every, total int
	done, next   int
}

func (p *progress) step(n int) {
	p.done = min(p.done+n, p.total)
	if p.every <= 0 || p.done < p.next {
		return
	}
	fmt.Fprintf(p.w, "ownctl: %s: %d of %d records checked\n", p.what, p.done, p.total)
	p.next = (p.done/p.every + 1) * p.every
}

// progressStore is the store a transfer runs on, counting the records the
// transfer reads to report its progress. It embeds the sqlstore.Store, so
// that the Manager finds the same capabilities (batches, events,
// propagation) as on the store itself.
type progressStore struct {
	*sqlstore.Store
	typ string
	p   *progress
}

// RecordsOf counts the records the transfer will go through: all the
// user's records, or those of the type.
func (s progressStore) RecordsOf(ctx context.Context, user ownership.UserID) iter.Seq2[ownership.Ref, error] {
	return func(yield func(ownership.Ref, error) bool) {
		for ref, err := range s.Store.RecordsOf(ctx, user) {
			if err == nil && (s.typ == "" || ref.Type == s.typ) {
				s.p.total++
				s.p.next = s.p.every
			}
			if !yield(ref, err) {
				return
			}
		}
	}
}

func (s progressStore) Get(ctx context.Context, ref ownership.Ref) (ownership.Record, error) {
	r, err := s.Store.Get(ctx, ref)
	s.p.step(1)
	return r, err
}

func (s progressStore) GetMany(ctx context.Context, refs []ownership.Ref) ([]ownership.Record, error) {
	rs, err := s.Store.GetMany(ctx, refs)
	s.p.step(len(refs))
	return rs, err
}

const transferAbout = `transfer moves every record one user is on to another user, for
offboarding: each entry of -from becomes an entry of -to with the same
role. -by must be allowed to reassign the records (or manage the ownership
of those -from only follows), and -to must be able to view them.

Without -write it is a dry run: it prints exactly what the real run would
move, and changes nothing (the database is opened read-only). The report
on standard output is the same for both: "move REF" for each record that
moves, "skip REF REASON: EXPLANATION" for each that cannot, "lagging REF:
ERROR" for a moved record whose synced children did not all follow.
Progress and the summary go to standard error.

Exit status: 0 done, 1 denied (the whole transfer, or some records
skipped), 2 bad input or a database error.`

func transfer(args []string, stdout, stderr io.Writer) int {
	f := newDBFlags("transfer", transferAbout, stdout, stderr)
	var from, to, by string
	var write bool
	every := 0
	f.fs.StringVar(&from, "from", "", "the user `ID` whose records move")
	f.fs.StringVar(&to, "to", "", "the user `ID` who takes them")
	f.fs.StringVar(&by, "by", "", "the user `ID` doing the transfer, whose permissions are checked")
	f.fs.StringVar(&f.recordType, "type", "", "move only records of this `TYPE`")
	f.fs.BoolVar(&write, "write", false, "move the records; without it, a dry run")
	f.fs.IntVar(&every, "progress", 1000, "report progress on standard error every `N` records (0: only the summary)")
	if code, ok := f.parse(args, "policy", "from", "to", "by"); !ok {
		return code
	}
	ctx := context.Background()
	p, ok := loadPolicy(f.policy, stderr)
	if !ok {
		return exitBad
	}
	st, err := openDB(ctx, f.db, write)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	defer st.DB().Close()
	subj := ownership.Subject{ID: ownership.UserID(by)}
	if u, err := st.User(ctx, subj.ID); err == nil {
		subj = p.Bind(u.Subject())
	}
	prog := &progress{w: stderr, what: "transfer", every: every}
	m := &ownership.Manager{Policy: p, Store: progressStore{Store: st, typ: f.recordType, p: prog}, Users: st}
	rep, err := m.Transfer(ctx, subj, ownership.UserID(from), ownership.UserID(to), ownership.TransferOptions{DryRun: !write, Type: f.recordType})
	printTransfer(stdout, rep)
	if err != nil {
		if d, denied := ownership.DenialOf(err); denied {
			fmt.Fprintf(stderr, "ownctl: %s\n", d.Explain())
			return exitDeny
		}
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	if write {
		fmt.Fprintf(stderr, "ownctl: %d records moved from %s to %s, %d skipped\n", len(rep.Moved), from, to, len(rep.Skipped))
	} else {
		fmt.Fprintf(stderr, "ownctl: dry run: %d records would move from %s to %s, %d skipped; nothing was changed (add -write to move them)\n", len(rep.Moved), from, to, len(rep.Skipped))
	}
	if len(rep.Skipped) > 0 {
		return exitDeny
	}
	return exitAllow
}

// printTransfer prints a transfer's report, the same for a dry run and a
// real run.
func printTransfer(w io.Writer, rep ownership.TransferReport) {
	for _, ref := range rep.Moved {
		fmt.Fprintf(w, "move %s\n", ref)
	}
	for _, s := range rep.Skipped {
		if d, ok := ownership.DenialOf(s.Err); ok {
			fmt.Fprintf(w, "skip %s %s: %s\n", s.Ref, d.Reason, d.Explain())
		} else {
			fmt.Fprintf(w, "skip %s error: %v\n", s.Ref, s.Err)
		}
	}
	for _, s := range rep.Lagging {
		fmt.Fprintf(w, "lagging %s: %v\n", s.Ref, s.Err)
	}
}

const reconcileAbout = `reconcile checks every record synced with its parent against its parent's
ownership and repairs those that drifted (after an interrupted
propagation, or a write that bypassed the library).

Without -write it is a dry run: it prints exactly what the real run would
repair, and changes nothing (the database is opened read-only). Standard
output has "sync REF" for each record that is (or would be) repaired, the
same for both; progress and the summary go to standard error.

Exit status: 0 done, 2 bad input or a database error.`

func reconcile(args []string, stdout, stderr io.Writer) int {
	f := newDBFlags("reconcile", reconcileAbout, stdout, stderr)
	var write bool
	every := 0
	f.fs.BoolVar(&write, "write", false, "repair the records; without it, a dry run")
	f.fs.IntVar(&every, "progress", 1000, "report progress on standard error every `N` synced records (0: only the summary)")
	if code, ok := f.parse(args, "policy"); !ok {
		return code
	}
	ctx := context.Background()
	p, ok := loadPolicy(f.policy, stderr)
	if !ok {
		return exitBad
	}
	st, err := openDB(ctx, f.db, write)
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	defer st.DB().Close()
	checked := 0
	// synced lists the synced records, counting them as they are read.
	synced := func(yield func(ownership.Record, error) bool) {
		for r, err := range st.Synced(ctx) {
			if err == nil {
				checked++
				if every > 0 && checked%every == 0 {
					fmt.Fprintf(stderr, "ownctl: reconcile: %d synced records checked\n", checked)
				}
			}
			if !yield(r, err) {
				return
			}
		}
	}
	var rep ownership.SyncReport
	if write {
		m := &ownership.Manager{Policy: p, Store: st, Users: st}
		rep, err = m.Reconcile(ctx, synced)
	} else {
		rep, err = planReconcile(ctx, st, synced)
	}
	for _, ref := range rep.Changed {
		fmt.Fprintf(stdout, "sync %s\n", ref)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ownctl: %v\n", err)
		return exitBad
	}
	if write {
		fmt.Fprintf(stderr, "ownctl: %d synced records checked: %d repaired, %d already matched\n", checked, len(rep.Changed), rep.Unchanged)
	} else {
		fmt.Fprintf(stderr, "ownctl: dry run: %d synced records checked: %d would be repaired, %d already match; nothing was changed (add -write to repair them)\n", checked, len(rep.Changed), rep.Unchanged)
	}
	return exitAllow
}

// planReconcile is Manager.Reconcile without writing: each synced record
// whose list differs from its effective ownership (that of its nearest
// independent ancestor, which Reconcile copies) would be repaired. As in
// Reconcile, a record deleted since it was listed is passed over.
func planReconcile(ctx context.Context, st *sqlstore.Store, records iter.Seq2[ownership.Record, error]) (ownership.SyncReport, error) {
	var rep ownership.SyncReport
	for r, err := range records {
		if err != nil {
			return rep, err
		}
		if r.Mode != ownership.SyncWithParent {
			continue
		}
		l, err := ownership.Effective(ctx, st, r)
		if errors.Is(err, ownership.ErrNotFound) {
			if _, gerr := st.Get(ctx, r.Ref); errors.Is(gerr, ownership.ErrNotFound) {
				continue // deleted since listed
			}
		}
		if err != nil {
			return rep, err
		}
		if sameEntries(l, r.Ownership) {
			rep.Unchanged++
		} else {
			rep.Changed = append(rep.Changed, r.Ref)
		}
	}
	return rep, nil
}

// sameEntries reports whether two lists hold the same entries, in any
// order: the test Reconcile uses to leave a record alone.
func sameEntries(l, m ownership.List) bool {
	if l.Len() != m.Len() {
		return false
	}
	byUser := make(map[ownership.UserID]ownership.Entry, m.Len())
	for e := range m.All() {
		byUser[e.UserID] = e
	}
	for e := range l.All() {
		if o, ok := byUser[e.UserID]; !ok || o != e {
			return false
		}
	}
	return true
}
