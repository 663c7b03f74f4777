package scenarios

// The device models a scenario can name. Each registers itself with
// sim/device when imported; this file is the only one in the package that
// names a model package.
import (
	_ "alertsim/sim/agent"
	_ "alertsim/sim/bb"
	_ "alertsim/sim/dcs"
	_ "alertsim/sim/dir"
	_ "alertsim/sim/mailer"
	_ "alertsim/sim/ptz"
)
