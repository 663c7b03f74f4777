// Package consumer shows alertsim's test packages used from another module,
// the way a firmware or app project would use them: fakesmtp as the mail
// server, netem as the network between it and the code under test, golden
// for a reviewed record of what arrived. Its test is the example; this
// package has nothing else.
package consumer
