// Command inspector serves the access inspector over the four seed files
// of this repository (a CRM, contracts with field rules and field-matched
// owners, a journey of synced documents, and a CRM of teams, a manager
// hierarchy, a queue and two tenants), each loaded into a memstore and
// mounted under its own prefix, with the seed's organisation so that
// every answer sees teammates, reports, queues and tenants:
//
//	go run ./examples/inspector                 # on 127.0.0.1:8081
//	go run ./examples/inspector -addr :9000
//	go run ./examples/inspector -selftest       # fetch every page and exit
//
// A host mounts the inspector behind its own administrator check. This
// demo has no accounts, so its check lets in loopback clients only: a
// request from any other address is refused with 403, whatever address
// the server listens on. (Behind a reverse proxy every request comes from
// the proxy; a real host checks its administrators instead.)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/ownershipkit/ownership/inspect"
	"github.com/ownershipkit/ownership/memstore"
	"github.com/ownershipkit/ownership/seed"
)

// seedNames are the seed files served, each under /name/.
var seedNames = []string{"crm", "contracts", "journey", "teams"}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to serve on")
	dir := flag.String("seeds", "", "directory holding crm.json, contracts.json, journey.json and teams.json; empty: this repository's seed/testdata")
	selftest := flag.Bool("selftest", false, "serve on a random loopback port, fetch every page, exit 0 if all answered 200, else 1")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *dir, *selftest, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "inspector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, dir string, selftest bool, out io.Writer) error {
	if dir == "" {
		var err error
		if dir, err = findSeeds(); err != nil {
			return err
		}
	}
	h, err := newServer(ctx, dir)
	if err != nil {
		return err
	}
	if selftest {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"
	if selftest {
		return selfTest(ctx, url, out)
	}
	fmt.Fprintf(out, "inspector: serving %s (loopback clients only: this demo has no administrator accounts)\n", url)
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// findSeeds finds the seed files from the repository's root (go run
// ./examples/inspector) or from this directory (go test).
func findSeeds() (string, error) {
	for _, dir := range []string{filepath.Join("seed", "testdata"), filepath.Join("..", "..", "seed", "testdata")} {
		if _, err := os.Stat(filepath.Join(dir, "crm.json")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("cannot find seed/testdata/crm.json: run from the repository's root, or pass -seeds")
}

// loopbackOnly is the demo's Authorize hook: it lets in requests from a
// loopback address, and refuses every other, since the demo has no
// administrators to check.
func loopbackOnly(r *http.Request) error {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return fmt.Errorf("remote address %q: %v", r.RemoteAddr, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%s is not a loopback client; this demo serves only its own machine", ap.Addr())
	}
	return nil
}

// newServer loads each seed into a memstore and mounts an inspector over
// it under /name/, with an index of them at /.
func newServer(ctx context.Context, dir string) (http.Handler, error) {
	mux := http.NewServeMux()
	for _, name := range seedNames {
		data, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			return nil, err
		}
		s, err := seed.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s.json: %w", name, err)
		}
		st, err := load(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("%s.json: %w", name, err)
		}
		h, err := inspect.New(inspect.Config{
			Policy: s.Policy(), Records: st, Users: st, Org: s.Org(),
			Authorize: loopbackOnly,
			Title:     "Access inspector: " + name,
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/"+name+"/", http.StripPrefix("/"+name, h))
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if err := loopbackOnly(r); err != nil {
			http.Error(w, "403 forbidden: loopback clients only", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		rootPage.Execute(w, seedNames)
	})
	return mux, nil
}

// load stores the seed's users and its records, each with its effective
// ownership, in a new memstore.
func load(ctx context.Context, s *seed.Seed) (*memstore.Store, error) {
	st := memstore.New()
	for _, u := range s.Users() {
		if err := st.PutUser(ctx, u); err != nil {
			return nil, err
		}
	}
	for _, raw := range s.Records() {
		r, _ := s.Record(raw.Ref)
		if _, err := st.CompareAndSwap(ctx, r); err != nil {
			return nil, err
		}
	}
	return st, nil
}

var rootPage = template.Must(template.New("root").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Access inspector demo</title></head>
<body><main><h1>Access inspector demo</h1>
<p>One inspector per seed file:</p>
<ul>{{range .}}<li><a href="{{.}}/">{{.}}</a></li>{{end}}</ul>
</main></body></html>
`))
