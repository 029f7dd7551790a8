package hostsql

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/ownershipkit/ownership"
	"github.com/ownershipkit/ownership/sqlstore"
)

// TestListPages: paging through the rows a policy lets a subject view, a
// few rows a page, gives exactly the records Decide allows, in the key's
// own order (integers as integers), on every kind of mapping and both
// databases.
func TestListPages(t *testing.T) {
	forEachDB(t, func(t *testing.T, tdb testDB) {
		rng := rand.New(rand.NewPCG(5, 9))
		w := newWorld(t, tdb, rng)
		var types []string
		for _, tab := range w.tables {
			types = append(types, tab.Type())
		}
		for range 6 {
			p := randomPolicy(t, rng, types)
			s := ownership.Subject{ID: w.users[rng.IntN(len(w.users))], Roles: []string{"r0", "r1"}}
			for _, tab := range w.tables {
				pred := p.Filter(s, ownership.View, tab.Type())
				var want []string
				for _, r := range w.records[tab.Type()] {
					if p.Decide(s, ownership.View, r).Allowed {
						want = append(want, r.Ref.ID)
					}
				}
				var got, gotKeys []string
				pages := 0
				for page := (Page{Limit: 3}); ; {
					next, err := tab.List(ctx, tdb.db, pred, page, []string{tab.m.Key}, func(scan func(...any) error) error {
						var key string
						if err := scan(&key); err != nil {
							return err
						}
						gotKeys = append(gotKeys, key)
						return nil
					})
					if err != nil {
						t.Fatalf("%s: List(%+v): %v", tab.Type(), page, err)
					}
					pages++
					if next == (Page{}) {
						break
					}
					page = next
				}
				got = append(got, gotKeys...)
				if tab.m.KeyKind == KeyInteger {
					if !slices.IsSortedFunc(got, func(a, b string) int {
						x, _ := strconv.ParseInt(a, 10, 64)
						y, _ := strconv.ParseInt(b, 10, 64)
						return int(min(max(x-y, -1), 1))
					}) {
						t.Errorf("%s: integer keys out of integer order: %q", tab.Type(), got)
					}
				}
				if pages < (len(want)+2)/3 {
					t.Errorf("%s: %d pages for %d rows of 3", tab.Type(), pages, len(want))
				}
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s %v: %v\n got %q\nwant %q", s.ID, s.Roles, pred, got, want)
				}
			}
		}
	})
}

// TestPageTokens: tokens round-trip; malformed ones, and ones whose key is
// not of the table's kind, are ErrInvalid and never reach the database.
func TestPageTokens(t *testing.T) {
	ints := differentialTables(sqlstore.Postgres)[0] // contacts, integer keys
	for _, id := range []string{"0", "-7", "1099511627776"} {
		k, err := ints.AfterKey(ints.Token(id))
		if err != nil || strconv.FormatInt(k.(int64), 10) != id {
			t.Errorf("AfterKey(Token(%q)) = %v, %v", id, k, err)
		}
	}
	texts := differentialTables(sqlstore.Postgres)[1]
	if k, err := texts.AfterKey(texts.Token("it's; --")); err != nil || k != "it's; --" {
		t.Errorf("text token: %v, %v", k, err)
	}
	for _, tok := range []string{"%%%", "MQ==", ints.Token("01"), ints.Token("x"), ints.Token(""), ints.Token("1 OR 1=1")} {
		if _, err := ints.AfterKey(tok); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("AfterKey(%q): got %v, want ErrInvalid", tok, err)
		}
		if tok == "" {
			continue // the empty token is the first page
		}
		if _, _, _, err := ints.PageQuery(ownership.NewPredicate("contact", ownership.AllRecords()), "h", nil, Page{After: tok}); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("PageQuery after %q: got %v, want ErrInvalid", tok, err)
		}
	}
	uuids := differentialTables(sqlstore.Postgres)[2]
	if _, err := uuids.AfterKey(uuids.Token("0B6D8C5E-1F0A-4C1E-9A39-5B9F5F1E2D3C")); !errors.Is(err, ownership.ErrInvalid) {
		t.Errorf("an upper-case UUID token: got %v, want ErrInvalid", err)
	}
	for _, tc := range []struct {
		page    Page
		columns []string
	}{{Page{Limit: -1}, nil}, {Page{}, []string{"name; DROP TABLE contacts"}}} {
		if _, _, _, err := ints.PageQuery(ownership.NewPredicate("contact", ownership.AllRecords()), "h", tc.columns, tc.page); !errors.Is(err, ownership.ErrInvalid) {
			t.Errorf("PageQuery(%+v, %q): got %v, want ErrInvalid", tc.page, tc.columns, err)
		}
	}
	q, args, limit, err := ints.PageQuery(ownership.NewPredicate("contact", ownership.OwnedBy("ann")), "c", []string{"name"}, Page{After: ints.Token("41"), Limit: 5000})
	want := `SELECT c."id", c."name" FROM "contacts" c WHERE (c."id" > $1 AND (c."owner_id" IS NOT NULL AND c."owner_id" = $2)) ORDER BY c."id" LIMIT 1001`
	if err != nil || q != want || limit != MaxPageSize || !slices.Equal(args, []any{int64(41), "ann"}) {
		t.Errorf("PageQuery:\n got %s %v %d %v\nwant %s", q, args, limit, err, want)
	}
}
