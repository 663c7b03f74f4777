module example.com/consumer

go 1.26.0

require alertsim v0.0.0

require (
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	github.com/emersion/go-smtp v0.25.1 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/pion/transport/v3 v3.1.1 // indirect
	golang.org/x/net v0.62.0 // indirect
)

// alertsim is not published under a fetchable path: use the checkout.
replace alertsim => ../..
