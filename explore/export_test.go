package explore

// The documented values models.go holds the firmware to, for the test
// that the firmware's own tables agree with them.
var (
	PTZBursts    = ptzBursts
	PTZMaxBurst  = ptzMaxBurst
	AgentRetries = agentRetries
)
