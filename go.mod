module github.com/ownershipkit/ownership

go 1.23

require github.com/google/go-cmp v0.7.0
