package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
)

// TestRun runs the demo: its own checks fail it if any submission ends up
// with other than one owner; here the claim counts must add up.
func TestRun(t *testing.T) {
	for range 5 {
		var b bytes.Buffer
		if err := run(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, m := range regexp.MustCompile(`claimed (\d+) and was notified (\d+) times`).FindAllStringSubmatch(b.String(), -1) {
			if m[1] != m[2] {
				t.Errorf("claims and notifications differ: %s", m[0])
			}
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		if sum != 12 {
			t.Fatalf("claims add up to %d, want 12:\n%s", sum, b.String())
		}
	}
}
