module github.com/ownershipkit/ownership/examples/inspector

go 1.26.0

require github.com/ownershipkit/ownership v0.0.0

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/ownershipkit/ownership => ../..
