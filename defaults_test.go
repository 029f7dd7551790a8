package ownership

import (
	"errors"
	"testing"
)

func TestSourceText(t *testing.T) {
	for s := SourceManual; s <= SourceImport; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Source
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip of %v: %v, %v", s, back, err)
		}
	}
	if _, err := Source(0).MarshalText(); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero source: %v", err)
	}
	if _, err := ParseSource("email"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseSource(email): %v", err)
	}
}

func TestInitialOwnershipErrors(t *testing.T) {
	for _, c := range []Creation{
		{},
		{Source: 9},
		{Source: SourceManual},
		{Source: SourceImport, Entries: []Entry{{UserID: "a"}}},
		{Source: SourceAPI, Entries: []Entry{{Role: Owner}}},
	} {
		if _, err := InitialOwnership(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("InitialOwnership(%+v) = %v, want ErrInvalid", c, err)
		}
	}
}
