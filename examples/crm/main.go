// Command crm prints, for the CRM scenarios of contact ownership, who may do
// what to which contact, and why each denial happened.
//
//	go run ./examples/crm
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ownershipkit/ownership"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	// Manager oversight: managers see and change everything; reps see their
	// own and the unassigned pool; support sees the same but cannot claim;
	// the admin bypasses ownership.
	policy, err := ownership.NewPolicy(map[string]ownership.RoleDef{
		"admin": {Bypass: true},
		"manager": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.All, Update: ownership.All, Delete: ownership.All, Claim: true, Reassign: true},
		}},
		"sales_rep": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own, Claim: true},
		}},
		"support": {Types: map[string]ownership.Permissions{
			"contact": {View: ownership.Own | ownership.Unassigned, Update: ownership.Own},
		}},
	})
	if err != nil {
		return err
	}

	entry := func(u ownership.UserID, r ownership.Role) ownership.Entry {
		return ownership.Entry{UserID: u, Role: r}
	}
	contacts := []ownership.Record{
		{Ref: ownership.MustRef("contact/c1"), Ownership: ownership.MustList(entry("rep1", ownership.Owner))},
		{Ref: ownership.MustRef("contact/c2")}, // a form submission, unassigned
		{Ref: ownership.MustRef("contact/c3"), Ownership: ownership.MustList(entry("rep2", ownership.Owner), entry("rep1", ownership.Follower))},
		{Ref: ownership.MustRef("contact/c4"), Ownership: ownership.MustList(entry("rep2", ownership.Owner))},
	}
	people := []ownership.Subject{
		{ID: "mia", Roles: []string{"manager"}},
		{ID: "rep1", Roles: []string{"sales_rep"}},
		{ID: "sam", Roles: []string{"support"}},
		{ID: "root", Roles: []string{"admin"}},
	}
	actions := []ownership.Action{ownership.View, ownership.Update, ownership.Claim, ownership.Reassign, ownership.ManageOwnership}

	fmt.Fprintln(out, "Contacts:")
	for _, c := range contacts {
		owners := "unassigned"
		if !c.Ownership.Unassigned() {
			owners = c.Ownership.String()
		}
		fmt.Fprintf(out, "  %-11s %s\n", c.Ref, owners)
	}
	fmt.Fprintln(out)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	head := []string{"user", "contact"}
	for _, a := range actions {
		head = append(head, a.String())
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	var denials []ownership.Decision
	for _, s := range people {
		s = policy.Bind(s)
		for _, c := range contacts {
			row := []string{string(s.ID), c.Ref.String()}
			for _, a := range actions {
				d := policy.Decide(s, a, c)
				mark := "yes"
				if !d.Allowed {
					mark = "-"
					denials = append(denials, d)
				}
				row = append(row, mark)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nWhy not (one line per distinct reason and user):")
	seen := map[string]bool{}
	for _, d := range denials {
		key := string(d.Subject) + "/" + d.Reason.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(out, "  [%s] %s\n", d.Reason, d.Explain())
	}
	return nil
}
