module github.com/ownershipkit/ownership/cmd/ownctl

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/ownershipkit/ownership v0.0.0
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace (
	github.com/ownershipkit/ownership => ../..
	github.com/ownershipkit/ownership/sqlstore => ../../sqlstore
)
