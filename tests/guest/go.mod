module eggos/guest

go 1.19

require golang.org/x/term v0.20.0

require golang.org/x/sys v0.20.0 // indirect
